"""The 通报 and the monthly report as 公文 (GB/T 9704-2012), opened with python-docx."""
from __future__ import annotations

import io
from datetime import date

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from tests.fixture_cases import AS_OF
from tests.test_ranking import SMALL


def fonts_of(element) -> dict:
    fonts = element.rPr.rFonts
    return {key: fonts.get(qn(f"w:{key}")) for key in ("ascii", "hAnsi", "eastAsia")}


def assert_official_layout(doc) -> None:
    """A4, the standard margins, the line grid, the standard fonts, page numbers outside."""
    section = doc.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(0.1) and abs(section.page_height - Mm(297)) < Mm(0.1)
    for side, mm in (("top", 37), ("bottom", 35), ("left", 28), ("right", 26)):
        assert abs(getattr(section, f"{side}_margin") - Mm(mm)) < Mm(0.1), side
    normal = doc.styles["Normal"]
    assert normal.font.size == Pt(16)
    assert fonts_of(normal.element) == dict.fromkeys(("ascii", "hAnsi", "eastAsia"), "仿宋_GB2312")
    pitch = normal.paragraph_format.line_spacing.pt
    assert 28.9 <= pitch <= 29.0 and 22 * pitch <= 225 / 25.4 * 72  # 22 lines in 225 mm
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:linePitch")) == "579"
    # 28 characters of 16 pt text with the body's character spacing fit in 156 mm.
    body = next(p for p in doc.paragraphs if p.text.startswith("根据") or p.text.startswith("本月"))
    spacing = body.runs[0]._element.rPr.find(qn("w:spacing"))
    assert 28 * (16 + int(spacing.get(qn("w:val"))) / 20) <= 156 / 25.4 * 72
    assert 29 * (16 + int(spacing.get(qn("w:val"))) / 20) > 156 / 25.4 * 72
    assert fonts_of(body.runs[0]._element)["eastAsia"] == "仿宋_GB2312"
    assert doc.settings.odd_and_even_pages_header_footer
    odd, even = section.footer.paragraphs[0], section.even_page_footer.paragraphs[0]
    assert odd.alignment == 2 and even.alignment == 0  # right on odd pages, left on even
    for footer in (odd, even):
        xml = footer._element.xml
        assert "PAGE" in xml and 'fldCharType="begin"' in xml
        assert footer.text.startswith("— ") and footer.text.endswith(" —")
        assert fonts_of(footer.runs[0]._element)["eastAsia"] == "宋体"


def test_circular_is_an_official_document(fixture_engine):
    from exports.ranking_reports import ranking_report

    doc = Document(io.BytesIO(ranking_report(fixture_engine, "2025-Q1", AS_OF, "docx",
                                             scheme=SMALL)))
    assert_official_layout(doc)
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "测试市信访工作联席会议办公室文件"  # the default 发文机关
    assert "〔文号〕" in texts and "　　年　月　日" in texts
    title = next(p for p in doc.paragraphs if p.text.startswith("关于"))
    assert title.text == "关于2025年第一季度信访工作情况的通报（草稿）"
    assert title.alignment == 1 and title.runs[0].font.size == Pt(22)
    assert fonts_of(title.runs[0]._element)["eastAsia"] == "方正小标宋简体"
    heading = next(p for p in doc.paragraphs if p.text == "一、评价办法")
    assert fonts_of(heading.runs[0]._element)["eastAsia"] == "黑体"
    table = doc.tables[0]
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == ["名称", "排名", "综合得分", "按期办结率（%）", "满意率（%）", "进京访", "理由"]
    assert [r[0] for r in rows[1:]] == ["乙县三镇", "甲县一镇"]  # worst first
    assert [r[1] for r in rows[1:]] == ["3", "2"]
    header = table.rows[0]._tr.trPr.find(qn("w:tblHeader"))
    assert header is not None and header.get(qn("w:val")) == "true"
    widths = [c.width for c in table.rows[1].cells]
    assert abs(sum(widths) - Mm(156)) < Mm(1)
    # 理由 in 小四 (12 pt) keeps at least ten characters a line inside the cell padding.
    padding = table._tbl.tblPr.find(qn("w:tblCellMar"))
    inside = sum(int(m.get(qn("w:w"))) for m in padding) / 20  # twips to points
    assert (widths[-1] / 12700 - inside) / 12 >= 10
    assert fonts_of(table.rows[1].cells[-1].paragraphs[0].runs[0]._element)["eastAsia"] == "仿宋_GB2312"


def test_circular_authority_and_issue(fixture_engine):
    from data.database import write_setting
    from exports.official_doc import Issue
    from exports.ranking_reports import ranking_report
    from queries.defaults import AUTHORITY_KEY

    with fixture_engine.begin() as conn:
        write_setting(conn, AUTHORITY_KEY, "测试市信访局")
    issue = Issue("测信〔2025〕7号", date(2025, 4, 3))
    doc = Document(io.BytesIO(ranking_report(fixture_engine, "2025-Q1", AS_OF, "docx",
                                             scheme=SMALL, issue=issue)))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "测试市信访局文件" and "测信〔2025〕7号" in texts
    assert "2025年4月3日" in texts and "测试市信访局" in texts
    assert "关于2025年第一季度信访工作情况的通报" in texts


@pytest.mark.parametrize("period", ["2025-Q1"])
def test_circular_without_named_units(fixture_engine, period):
    from exports.ranking_reports import ranking_report
    from queries.ranking import RankingScheme

    scheme = RankingScheme(bottom_share=0.0, bottom_min=0, min_cases=1)
    scheme.deductions["to_beijing"] = 0.0
    doc = Document(io.BytesIO(ranking_report(fixture_engine, period, AS_OF, "docx", scheme=scheme)))
    texts = [p.text for p in doc.paragraphs]
    # 一镇 still has a 进京 petition, so it is named even without a bottom group.
    assert "本期共有1个乡镇（街道）列入通报，按排名从后往前列示如下：" in texts
    assert [[c.text for c in r.cells][0] for r in doc.tables[0].rows[1:]] == ["甲县一镇"]
