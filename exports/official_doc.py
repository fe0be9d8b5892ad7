"""Word documents laid out as 公文 (GB/T 9704-2012, 党政机关公文格式) with python-docx.

A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm, so the type area is 156 x 225 mm;
22 lines of 28 characters: a fixed line pitch of 225 mm / 22 = 28.95 pt and, with 三号 (16 pt)
text, a character pitch of 156 mm / 28 = 15.79 pt (16 pt less 0.21 pt). Title 方正小标宋简体 二号
(22 pt); body 仿宋_GB2312 三号; first-level headings 黑体, second-level 楷体_GB2312; page numbers
"— 1 —" in 宋体 四号 at the outside bottom (odd pages right, even pages left). Every run names its
font for East Asian text too (w:eastAsia), which WPS and Word both read.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING1_FONT = "黑体"
HEADING2_FONT = "楷体_GB2312"
PAGE_NUMBER_FONT = "宋体"
RED = RGBColor(0xC0, 0x00, 0x00)

PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 210, 297
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
TYPE_WIDTH_MM = PAGE_WIDTH_MM - MARGINS_MM["left"] - MARGINS_MM["right"]     # 156
TYPE_HEIGHT_MM = PAGE_HEIGHT_MM - MARGINS_MM["top"] - MARGINS_MM["bottom"]   # 225
LINES_PER_PAGE, CHARS_PER_LINE = 22, 28
BODY_SIZE_PT, TITLE_SIZE_PT, PAGE_NUMBER_SIZE_PT = 16.0, 22.0, 14.0
MM_PT = 72 / 25.4
LINE_PITCH_PT = round(TYPE_HEIGHT_MM * MM_PT / LINES_PER_PAGE, 2)             # 28.99 -> 28.95
LINE_PITCH_PT = min(LINE_PITCH_PT, 28.95)  # a hair under, so rounding never pushes line 22 over
CHAR_PITCH_PT = TYPE_WIDTH_MM * MM_PT / CHARS_PER_LINE                        # 15.79
# Character spacing in twentieths of a point: whole steps, rounded down so 28 characters fit.
CHAR_SPACING_TWIPS = -5   # 16 pt - 0.25 pt = 15.75 pt <= 15.79 pt
TABLE_SIZE_PT = 12.0      # 小四 in tables
TABLE_LINE_PT = 18.0
TABLE_CELL_PADDING_TWIPS = 57  # 1 mm left and right inside each cell


def set_fonts(run_or_style_element, font: str) -> None:
    """The font for Latin and East Asian text of a run's or style's rPr (w:ascii, w:hAnsi,
    w:eastAsia), so both WPS and Word use it."""
    r_pr = run_or_style_element.get_or_add_rPr()
    fonts = r_pr.get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), font)


def style_run(run, font: str = BODY_FONT, size: float = BODY_SIZE_PT, bold: bool = False,
              color: RGBColor | None = None, spacing: bool = True):
    run.font.name = font
    run.font.size = Pt(size)
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    set_fonts(run._element, font)
    if spacing and size == BODY_SIZE_PT:
        r_pr = run._element.get_or_add_rPr()
        element = OxmlElement("w:spacing")
        element.set(qn("w:val"), str(CHAR_SPACING_TWIPS))
        r_pr.append(element)
    return run


def _exact_lines(paragraph, points: float = LINE_PITCH_PT) -> None:
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(points)
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)


def _doc_grid(section) -> None:
    """Line grid of the type area (Word's 文档网格): 22 lines a page."""
    sect_pr = section._sectPr
    for old in sect_pr.findall(qn("w:docGrid")):
        sect_pr.remove(old)
    grid = OxmlElement("w:docGrid")
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(round(LINE_PITCH_PT * 20)))
    sect_pr.append(grid)


def _page_number_paragraph(footer, align, indent_side: str) -> None:
    """"— N —" with a PAGE field, one character in from the outside edge."""
    paragraph = footer.paragraphs[0]
    paragraph.alignment = align
    setattr(paragraph.paragraph_format, f"{indent_side}_indent", Pt(PAGE_NUMBER_SIZE_PT))
    style_run(paragraph.add_run("— "), PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE_PT)
    run = style_run(paragraph.add_run(), PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE_PT)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"),
                       ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text == " PAGE ":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        else:
            element = OxmlElement("w:t")
            element.text = text
        run._element.append(element)
    style_run(paragraph.add_run(" —"), PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE_PT)


class OfficialDocument:
    """A 公文 being written: paragraphs in the standard fonts on the standard grid."""

    def __init__(self) -> None:
        self.doc = Document()
        self._styles()
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(PAGE_WIDTH_MM), Mm(PAGE_HEIGHT_MM)
        section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
        section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
        section.header_distance = Mm(15)
        section.footer_distance = Mm(22)  # the number's line sits about 7 mm below the type area
        _doc_grid(section)
        self.doc.settings.odd_and_even_pages_header_footer = True
        _page_number_paragraph(section.footer, WD_ALIGN_PARAGRAPH.RIGHT, "right")
        _page_number_paragraph(section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "left")

    def _styles(self) -> None:
        normal = self.doc.styles["Normal"]
        normal.font.name = BODY_FONT
        normal.font.size = Pt(BODY_SIZE_PT)
        set_fonts(normal.element, BODY_FONT)
        fmt = normal.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(LINE_PITCH_PT)
        fmt.space_before = fmt.space_after = Pt(0)
        fmt.widow_control = False  # 公文 fill every line of the grid
        for name in ("Header", "Footer"):
            style = self.doc.styles[name]
            style.font.name = PAGE_NUMBER_FONT
            set_fonts(style.element, PAGE_NUMBER_FONT)
            style.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        table_style = self.doc.styles["Table Grid"]
        set_fonts(table_style.element, BODY_FONT)

    def paragraph(self, text: str = "", font: str = BODY_FONT, size: float = BODY_SIZE_PT,
                  bold: bool = False, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent: bool = True,
                  color: RGBColor | None = None):
        paragraph = self.doc.add_paragraph()
        paragraph.alignment = align
        if indent:
            paragraph.paragraph_format.first_line_indent = Pt(2 * CHAR_PITCH_PT)
        _exact_lines(paragraph, LINE_PITCH_PT if size <= BODY_SIZE_PT else size * 1.3)
        if text:
            style_run(paragraph.add_run(text), font, size, bold, color)
        return paragraph

    def body(self, text: str):
        return self.paragraph(text)

    def heading1(self, text: str):
        """一、…… in 黑体."""
        return self.paragraph(text, HEADING1_FONT)

    def heading2(self, text: str):
        """（一）…… in 楷体."""
        return self.paragraph(text, HEADING2_FONT)

    def blank(self, lines: int = 1) -> None:
        for _ in range(lines):
            self.paragraph(indent=False)

    def masthead(self, authority: str, doc_number: str | None) -> None:
        """版头: the issuing authority's mark in red, the 文号 centred, a red separator line."""
        self.paragraph(f"{authority}文件", TITLE_FONT, 26, align=WD_ALIGN_PARAGRAPH.CENTER,
                       indent=False, color=RED)
        self.blank()
        number = self.paragraph(doc_number or "〔文号〕", align=WD_ALIGN_PARAGRAPH.CENTER,
                                indent=False)
        p_pr = number._element.get_or_add_pPr()
        borders = OxmlElement("w:pBdr")
        bottom = OxmlElement("w:bottom")
        for key, value in (("w:val", "single"), ("w:sz", "18"), ("w:space", "12"),
                           ("w:color", "C00000")):
            bottom.set(qn(key), value)
        borders.append(bottom)
        p_pr.append(borders)
        self.blank()

    def title(self, text: str) -> None:
        """The title in 方正小标宋简体 二号, centred, and one blank line after it."""
        self.paragraph(text, TITLE_FONT, TITLE_SIZE_PT, align=WD_ALIGN_PARAGRAPH.CENTER,
                       indent=False)
        self.blank()

    def signature(self, authority: str, issued_on: date | None) -> None:
        """发文机关署名 and 成文日期 at the right, 成文日期 four characters in from the right edge."""
        self.blank()
        for text in (authority, date_text(issued_on)):
            paragraph = self.paragraph(text, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
            paragraph.paragraph_format.right_indent = Pt(4 * CHAR_PITCH_PT)

    def table(self, headers: list[str], rows: list[list[str]], widths_mm: list[float]):
        """A table over the type area's width: fixed column widths, its header row repeated on
        every page (w:tblHeader), 小四 仿宋 text on a tighter line."""
        table = self.doc.add_table(rows=1, cols=len(headers))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        tbl_pr = table._tbl.tblPr
        layout = OxmlElement("w:tblLayout")
        layout.set(qn("w:type"), "fixed")
        tbl_pr.append(layout)
        margins = OxmlElement("w:tblCellMar")
        for side in ("left", "right"):
            margin = OxmlElement(f"w:{side}")
            margin.set(qn("w:w"), str(TABLE_CELL_PADDING_TWIPS))
            margin.set(qn("w:type"), "dxa")
            margins.append(margin)
        tbl_pr.append(margins)
        for column, width in zip(table.columns, widths_mm):
            column.width = Mm(width)
        header = table.rows[0]
        tr_pr = header._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        tr_pr.append(repeat)
        for values, row in [(headers, header)] + [(r, None) for r in rows]:
            row = row or table.add_row()
            cant_split = OxmlElement("w:cantSplit")
            row._tr.get_or_add_trPr().append(cant_split)
            for cell, text, width in zip(row.cells, values, widths_mm):
                cell.width = Mm(width)
                cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
                paragraph = cell.paragraphs[0]
                paragraph.alignment = (WD_ALIGN_PARAGRAPH.CENTER if row is header or len(text) <= 8
                                       else WD_ALIGN_PARAGRAPH.LEFT)
                _exact_lines(paragraph, TABLE_LINE_PT)
                style_run(paragraph.add_run(text), HEADING1_FONT if row is header else BODY_FONT,
                          TABLE_SIZE_PT)
        return table

    def picture(self, png: bytes, width_mm: float = TYPE_WIDTH_MM, caption: str | None = None):
        paragraph = self.doc.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.space_before = paragraph.paragraph_format.space_after = Pt(0)
        paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        paragraph.add_run().add_picture(io.BytesIO(png), width=Mm(width_mm))
        if caption:
            self.paragraph(caption, size=TABLE_SIZE_PT, align=WD_ALIGN_PARAGRAPH.CENTER,
                           indent=False)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return buffer.getvalue()


def date_text(day: date | None) -> str:
    """成文日期 in Arabic numerals (2012 standard), or a placeholder to fill in when issued."""
    return f"{day.year}年{day.month}月{day.day}日" if day else "　　年　月　日"


@dataclass(frozen=True)
class Issue:
    """What a document carries once issued: 文号 and 成文日期 (placeholders while a draft)."""

    doc_number: str | None = None
    issued_on: date | None = None

    @property
    def is_draft(self) -> bool:
        return not (self.doc_number and self.issued_on)
