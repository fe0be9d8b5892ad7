"""The ranking as an Excel sheet and the draft circular (通报) as a Word document."""
from __future__ import annotations

import io

import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from sqlalchemy import Engine

from exports.excel import Sheet, workbook_bytes
from queries.filters import Filters, parse_period, period_filters, previous_period
from queries.scope import Scope
from queries.ranking import RATE_INDICATORS, RankingScheme, read_scheme, township_ranking
from queries.reference import region_names, scope_name

LEVEL_NAMES = {"township": "乡镇（街道）", "county": "县（市、区）", "unit": "责任单位"}
BODY_FONT, TITLE_FONT = "仿宋", "宋体"


def ranking_table(frame: pd.DataFrame, names: dict[str, str], level: str = "township") -> pd.DataFrame:
    """The ranking with Chinese headers, in rank order."""
    table = pd.DataFrame({
        "排名": frame["rank"],
        LEVEL_NAMES[level]: frame["entity_name"],
        "县（市、区）": [names.get(c, "") if isinstance(c, str) else "" for c in frame["county_code"]],
        "综合得分": frame["score"].where(frame["ranked"]),
        "排名变化": frame["rank_change"],
        "信访件数": frame["case_count"],
    })
    for key, (label, _better) in RATE_INDICATORS.items():
        table[label] = frame[f"{key}_pct"].round(1)
        table[f"{label}排名"] = frame[f"{key}_rank"]
    table["到市访（件/人次）"] = [f"{a}/{b}" for a, b in zip(frame["to_city_count"], frame["to_city_person_count"])]
    table["到省访（件/人次）"] = [f"{a}/{b}" for a, b in zip(frame["to_province_count"],
                                                       frame["to_province_person_count"])]
    table["进京访（件/人次）"] = [f"{a}/{b}" for a, b in zip(frame["to_beijing_count"],
                                                       frame["to_beijing_person_count"])]
    table["集体访（批次）"] = frame["collective_count"]
    table["通报候选"] = ["是" if b else "" for b in frame["bulletin"]]
    table["挂牌督办候选"] = ["是" if s else "" for s in frame["supervise"]]
    table["候选稳健度"] = [f"{s:.0%}" if pd.notna(s) else "" for s in frame["stability"]]
    table["理由"] = frame["reason"]
    if level == "county":
        table = table.drop(columns=["县（市、区）"])
    return table


def ranking_workbook(table: pd.DataFrame, title: str, method: str) -> bytes:
    return workbook_bytes([Sheet(
        "排名", title, table,
        highlight_rows=list((table["通报候选"] == "是") | (table["挂牌督办候选"] == "是")),
        note=method + " 标红为通报或挂牌督办候选。")])


def _font(run, name: str, size: float, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _paragraph(doc, text: str, size: float = 16, font: str = BODY_FONT, bold: bool = False,
               align=None, indent: bool = True):
    paragraph = doc.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(size * 2)
    paragraph.paragraph_format.line_spacing = Pt(28)
    _font(paragraph.add_run(text), font, size, bold)
    return paragraph


def circular_docx(frame: pd.DataFrame, jurisdiction: str, period_label: str, method: str,
                  names: dict[str, str], level: str = "township") -> bytes:
    """A draft circular: title, period, method, the named units with their figures and reasons."""
    doc = Document()
    styles = doc.styles["Normal"]
    styles.font.name = BODY_FONT
    styles.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.left_margin = section.right_margin = Cm(2.6)
    _paragraph(doc, f"关于{period_label}信访工作情况的通报", 22, TITLE_FONT, True,
               WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _paragraph(doc, "（征求意见稿）", 16, BODY_FONT, False, WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _paragraph(doc, f"各{LEVEL_NAMES[level]}：", indent=False)
    named = frame[frame["bulletin"]]
    ranked = int(frame["ranked"].sum())
    _paragraph(doc, f"根据{jurisdiction}信访信息系统数据，现将{period_label}{ranked}个"
                    f"{LEVEL_NAMES[level]}信访工作综合排名情况通报如下。")
    _paragraph(doc, "一、评价办法", bold=True)
    _paragraph(doc, method)
    _paragraph(doc, "二、通报对象", bold=True)
    if named.empty:
        _paragraph(doc, "本期没有需要通报的单位。")
    else:
        _paragraph(doc, f"本期共有{len(named)}个{LEVEL_NAMES[level]}列入通报"
                        + (f"，其中{int(named['supervise'].sum())}个建议挂牌督办" if named["supervise"].any() else "")
                        + "，具体情况如下：")
        headers = ["名称", "排名", "综合得分", "按期办结率", "满意率", "进京访", "理由"]
        table = doc.add_table(rows=1, cols=len(headers))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, text in zip(table.rows[0].cells, headers):
            cell.text = ""
            _font(cell.paragraphs[0].add_run(text), TITLE_FONT, 12, True)
        for row in named.itertuples():
            county = names.get(row.county_code, "") if isinstance(row.county_code, str) and level == "township" else ""
            values = [f"{county}{row.entity_name}", "—" if pd.isna(row.rank) else str(row.rank),
                      f"{row.score:.2f}",
                      "—" if pd.isna(row.ontime_close_pct) else f"{row.ontime_close_pct:.1f}%",
                      "—" if pd.isna(row.satisfaction_pct) else f"{row.satisfaction_pct:.1f}%",
                      f"{row.to_beijing_count}件", row.reason + ("；建议挂牌督办" if row.supervise else "")]
            cells = table.add_row().cells
            for cell, text in zip(cells, values):
                cell.text = ""
                _font(cell.paragraphs[0].add_run(text), BODY_FONT, 12)
    _paragraph(doc, "三、工作要求", bold=True)
    _paragraph(doc, "被通报单位要认真分析原因，逐件落实整改措施，于通报下发之日起15日内将整改情况书面报送；"
                    "列入挂牌督办的单位由包案领导牵头，限期完成整改销号。")
    _paragraph(doc, f"{jurisdiction}信访工作联席会议办公室", align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def ranking_report(engine: Engine, period: str, today, fmt: str, level: str = "township",
                   scheme: RankingScheme | None = None, *, place: Filters | Scope) -> bytes:
    """The ranking of a period ('2025-06', '2025-Q2', '2025') as 'xlsx' or 'docx' bytes, over the
    scope (and place) of `place`."""
    scheme = scheme or read_scheme(engine)
    _start, _end, label = parse_period(period)
    frame = township_ranking(engine, period_filters(period, today, place),
                             period_filters(previous_period(period), today, place), scheme, level)
    names = region_names(engine)
    jurisdiction = scope_name(engine, place if isinstance(place, Scope) else place.scope)
    if fmt == "xlsx":
        return ranking_workbook(ranking_table(frame, names, level),
                                f"{jurisdiction}{label}{LEVEL_NAMES[level]}信访工作综合排名",
                                scheme.describe())
    if fmt == "docx":
        return circular_docx(frame, jurisdiction, label, scheme.describe(), names, level)
    raise ValueError(f"不支持的导出格式：{fmt}（可选 xlsx 或 docx）")
