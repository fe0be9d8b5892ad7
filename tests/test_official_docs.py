"""The 通报 and the monthly report as 公文 (GB/T 9704-2012), opened with python-docx."""
from __future__ import annotations

import io
from datetime import date

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from queries.scope import EVERYTHING
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
                                             scheme=SMALL, place=EVERYTHING)))
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
                                             scheme=SMALL, issue=issue, place=EVERYTHING)))
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
    doc = Document(io.BytesIO(ranking_report(fixture_engine, period, AS_OF, "docx", scheme=scheme,
                                             place=EVERYTHING)))
    texts = [p.text for p in doc.paragraphs]
    # 一镇 still has a 进京 petition, so it is named even without a bottom group.
    assert "本期共有1个乡镇（街道）列入通报，按排名从后往前列示如下：" in texts
    assert [[c.text for c in r.cells][0] for r in doc.tables[0].rows[1:]] == ["甲县一镇"]


def _report_text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        parts += ["|".join(c.text for c in row.cells) for row in table.rows]
    return "\n".join(parts)


@pytest.mark.parametrize("month", ["2025-02", "2025-03"])
@pytest.mark.parametrize("county", [None, "100100"])
def test_report_numbers_equal_the_dashboards(fixture_engine, month, county):
    """Every figure the report states is the dashboard queries' figure for the same month and scope."""
    from exports.monthly_report import monthly_report, report_place
    from queries.alerts import all_alerts
    from queries.dispatch import dispatch_summary, month_filters, unit_progress
    from queries.overview import headline_figures

    place = report_place(county, AS_OF, EVERYTHING)
    doc = Document(io.BytesIO(monthly_report(fixture_engine, month, AS_OF, place)))
    assert_official_layout(doc)
    text = _report_text(doc)
    filters = month_filters(month, AS_OF, place)
    s = dispatch_summary(fixture_engine, filters).iloc[0]
    h = headline_figures(fixture_engine, filters).set_index("period").loc["current"]
    scope = "甲县" if county else "测试市"
    assert f"关于{scope}2025年{int(month[-2:])}月信访工作情况的分析报告（草稿）" in text
    assert (f"本月新增信访{int(s['new_count'])}件、{int(s['new_person_count'])}人次，" in text)
    assert f"（上月{int(s['new_prev_month_count'])}件）" in text
    assert f"（去年同月{int(s['new_last_year_count'])}件）" in text
    assert f"本月办结{int(s['closed_count'])}件，化解{int(s['resolved_count'])}件；月末存量{int(s['backlog_end_count'])}件" in text
    assert f"月末逾期未结{int(s['overdue_end_count'])}件" in text
    assert f"进京{int(h['to_beijing_count'])}件" in text and f"到省{int(h['to_province_count'])}件" in text
    if pd.notna(h["satisfaction_pct"]):
        assert f"满意率{h['satisfaction_pct']:.1f}%" in text
    units = unit_progress(fixture_engine, filters)
    overdue = units[units["overdue_open_count"] > 0]
    assert f"月末有逾期未结件的责任单位{len(overdue)}个" in text or (overdue.empty and "月末没有逾期未结的信访件" in text)
    for row in overdue.head(5).itertuples():
        assert f"{row.unit_name}（{row.overdue_open_count}件）" in text
    alerts = all_alerts(fixture_engine, filters.__class__(start=filters.end, end=filters.end,
                                                          as_of=filters.end, county=county,
                                                          scope=EVERYTHING))
    assert (f"在预警{len(alerts)}条" in text) if len(alerts) else "没有预警" in text
    assert len(doc.inline_shapes) == 3  # two charts and the map


def test_report_figures_by_hand(fixture_engine):
    """March 2025 in the fixture, worked out from tests/fixture_cases.py."""
    from exports.monthly_report import monthly_report

    text = _report_text(Document(io.BytesIO(monthly_report(fixture_engine, "2025-03", AS_OF, EVERYTHING))))
    assert "本月新增信访2件、2人次，环比持平（上月2件），同比无可比（去年同月为0件）" in text
    assert "本月办结3件，化解1件；月末存量6件，较月初减少1件；月末逾期未结1件。" in text
    assert "本月销号1件（C1（一镇））" in text and "仍在化解1件" in text


import pandas as pd  # noqa: E402


def test_issued_document_is_kept_unchanged(fixture_engine):
    import hashlib
    import json

    from sqlalchemy import text as sql

    from data.issued import IssueError
    from exports.archive import issue_circular, issue_report
    from queries.issued import issued_file, issued_list

    first = issue_circular(fixture_engine, "2025-Q1", AS_OF, "测信〔2025〕1号", date(2025, 4, 2),
                           "王主任", scheme=SMALL, place=EVERYTHING)
    second = issue_report(fixture_engine, "2025-03", AS_OF, "测信〔2025〕2号", date(2025, 4, 3), "王主任",
                     place=EVERYTHING)
    with pytest.raises(IssueError, match="已用于"):
        issue_report(fixture_engine, "2025-03", AS_OF, "测信〔2025〕2号", date(2025, 4, 3), "王主任",
                     place=EVERYTHING)
    name, data, digest = issued_file(fixture_engine, EVERYTHING, first)
    assert name == "关于2025年第一季度信访工作情况的通报.docx"
    assert hashlib.sha256(data).hexdigest() == digest
    doc = Document(io.BytesIO(data))
    assert "测信〔2025〕1号" in [p.text for p in doc.paragraphs]
    # A data correction moves the live figures; the issued file and figures stay as issued.
    with fixture_engine.begin() as conn:
        conn.execute(sql("UPDATE regions SET name = '改名镇' WHERE code = '100200001'"))
    assert issued_file(fixture_engine, EVERYTHING, first)[1] == data
    listing = issued_list(fixture_engine, EVERYTHING, "2025-Q1")
    assert list(listing["doc_number"]) == ["测信〔2025〕1号"] and listing["issued_by"][0] == "王主任"
    report = issued_list(fixture_engine, EVERYTHING, "2025-03", "report")
    assert list(report["id"]) == [second]
    stored = fetch_figures(fixture_engine, second)
    assert stored["new_count"] == 2 and stored["backlog_end_count"] == 6


def fetch_figures(engine, document_id):
    import json

    from sqlalchemy import text as sql

    with engine.connect() as conn:
        return json.loads(conn.execute(sql("SELECT figures_json FROM issued_documents WHERE id = :i"),
                                       {"i": document_id}).scalar())


def test_charts_fetch_nothing():
    """vl-convert refuses any address: a chart pointing at one fails instead of fetching it."""
    import altair as alt

    from exports.charts import chart_png

    chart = alt.Chart(alt.Data(url="http://127.0.0.1:9/data.json")).mark_point().encode(x="a:Q")
    with pytest.raises(Exception):
        chart_png(chart)
    png = chart_png(alt.Chart(pd.DataFrame({"a": [1, 2]})).mark_point().encode(x="a:Q"))
    assert png.startswith(b"\x89PNG")
