"""Scores, ranks, candidates and stability on the hand-built fixture (2025 Q1)."""
import pytest

from queries.filters import parse_period, period_filters, previous_period
from queries.ranking import (
    RankingScheme, candidate_stability, candidates, rank_entities, ranking_indicators, read_scheme,
    township_ranking,
)
from tests.fixture_cases import AS_OF
from queries.scope import EVERYTHING

Q1 = period_filters("2025-Q1", AS_OF, EVERYTHING)
Q4 = period_filters(previous_period("2025-Q1"), AS_OF, EVERYTHING)
SMALL = RankingScheme(min_cases=1, bottom_min=1, bottom_share=0.1)


def test_periods():
    assert previous_period("2025-Q1") == "2024-Q4" and previous_period("2025-06") == "2025-05"
    assert parse_period("2025")[2] == "2025年" and parse_period("2025-Q3")[2] == "2025年第三季度"
    with pytest.raises(ValueError, match="格式不对"):
        parse_period("2025-Q5")


def test_scores_and_ranks(fixture_engine):
    frame = rank_entities(ranking_indicators(fixture_engine, Q1), SMALL).set_index("entity")
    one, two, three = (frame.loc[c] for c in ("100100001", "100100002", "100200001"))
    # 一镇: rates 75, 66.7, 50, 100, repeat 25 (scores 75), key cases 1 of 2 cleared;
    # minus 5 for the 进京 case, 2 x 1/12 for 到省 and 1 x 1/12 for 集体访 per 10,000 residents.
    assert one["score"] == pytest.approx(70.17, abs=0.005)
    assert one["to_beijing_deduction"] == 5.0
    # 二镇: 75, 100, 50, 100, repeat 20; no key case: the mean of the others (50).
    assert two["score"] == pytest.approx(84.25, abs=0.005)
    # 三镇: 100, 50, 100, 0 (all unsatisfied), repeat 0; 到市 1 per 100,000: minus 0.05.
    assert three["score"] == pytest.approx(52.45, abs=0.005)
    assert [two["rank"], one["rank"], three["rank"]] == [1, 2, 3]
    assert three["satisfaction_rank"] == 3 and three["timely_accept_rank"] == 1
    assert list(frame["in_bottom"]) == [False, False, True]


def test_ties_share_the_better_rank(fixture_engine):
    only_satisfaction = RankingScheme(
        weights={"timely_accept": 0, "ontime_close": 0, "participation": 0, "satisfaction": 1,
                 "repeat": 0, "key_clear": 0},
        deductions={"to_beijing": 0, "to_province": 0, "to_city": 0, "collective": 0},
        min_cases=1, bottom_min=1)
    frame = rank_entities(ranking_indicators(fixture_engine, Q1), only_satisfaction)
    assert sorted(frame["rank"].tolist()) == [1, 1, 3]


def test_small_samples_are_not_ranked(fixture_engine):
    frame = rank_entities(ranking_indicators(fixture_engine, Q1), RankingScheme())
    assert not frame["ranked"].any() and frame["rank"].isna().all()


def test_candidate_rules(fixture_engine):
    current = rank_entities(ranking_indicators(fixture_engine, Q1), SMALL)
    previous = rank_entities(ranking_indicators(fixture_engine, Q4), SMALL)
    frame = candidates(current, previous).set_index("entity")
    assert frame.loc["100200001", "bulletin"] and "末位" in frame.loc["100200001", "reason"]
    assert frame.loc["100100001", "bulletin"] and "进京访 1 件" in frame.loc["100100001", "reason"]
    assert not frame.loc["100100002", "bulletin"]
    assert frame.loc["100100001", "rank_change"] == -1          # first in Q4 (D1 alone), second now
    assert not frame["supervise"].any()
    twice = candidates(current, current).set_index("entity")
    assert twice.loc["100200001", "supervise"] and "连续两期" in twice.loc["100200001", "reason"]


def test_stability_and_whole_ranking(fixture_engine):
    current = rank_entities(ranking_indicators(fixture_engine, Q1), SMALL)
    share = candidate_stability(current, SMALL, draws=400)
    # 一镇 has a 进京 case: a candidate in every draw. 三镇 is last on 3 and 4 cases: with its cases
    # drawn again it is not always last (weights alone would keep it there every time).
    assert share["100100001"] == 1.0
    assert 0.6 < share["100200001"] < 1.0 and share["100100002"] < share["100200001"]
    weights_only = candidate_stability(current.assign(**{
        f"{k}_{part}": current[f"{k}_{part}"] * 0 for k in ("timely_accept", "ontime_close",
                                                             "participation", "satisfaction",
                                                             "repeat", "key_clear")
        for part in ("num", "den")}), SMALL, draws=50)
    assert weights_only["100100001"] == 1.0  # nothing left to resample: the 进京 rule decides
    full = township_ranking(fixture_engine, Q1, Q4, SMALL)
    assert full.iloc[0]["entity_name"] == "二镇"
    assert 0.6 < full.set_index("entity").loc["100200001", "stability"] < 1.0


def test_small_samples_flagged_beside_candidates(fixture_engine):
    frame = township_ranking(fixture_engine, Q1, Q4, SMALL).set_index("entity")
    # 一镇: 积案化解率 on 1 of 2 key cases; 二镇 has no key case (filled with the pooled rate).
    assert "积案化解率仅 1/2 件" in frame.loc["100100001", "thin"]
    assert "积案化解率无可计算件数" in frame.loc["100100002", "thin"]
    assert "满意率仅 0/1 件" in frame.loc["100200001", "thin"]


def test_missing_indicator_filled_with_pooled_rate(fixture_engine):
    from datetime import date

    from data import schema

    with fixture_engine.begin() as conn:  # 三镇: one key case, not crossed off
        conn.execute(schema.key_cases.insert(), [{
            "case_no": "B1", "listed_on": date(2025, 2, 1), "leader": "县长 王某", "requirements": "化解",
            "resolve_by": date(2025, 6, 1), "progress_pct": 20, "stage": "化解中", "cleared_on": None}])
    frame = rank_entities(ranking_indicators(fixture_engine, Q1), SMALL).set_index("entity")
    # 积案化解率: 一镇 1/2, 三镇 0/1; the jurisdiction 1/3 = 33.3% (the mean of the rates: 25%).
    # 二镇 has none: 84.25 with 50% before, now 84.25 - 0.10 x (50 - 33.33).
    assert frame.loc["100100002", "score"] == pytest.approx(82.58, abs=0.005)


def test_same_machinery_for_counties_and_units(fixture_engine):
    counties = rank_entities(ranking_indicators(fixture_engine, Q1, "county"), SMALL)
    assert set(counties["entity"]) == {"100100", "100200"}
    assert counties.set_index("entity").loc["100100", "case_count"] == 9
    units = rank_entities(ranking_indicators(fixture_engine, Q1, "unit"), SMALL)
    assert "市人力资源和社会保障局" in set(units["entity_name"])


def test_scheme_round_trip(fixture_engine):
    from data.database import write_setting

    scheme = RankingScheme(min_cases=3)
    scheme.weights["satisfaction"] = 50
    with fixture_engine.begin() as conn:
        write_setting(conn, "ranking_scheme", scheme.to_json())
    again = read_scheme(fixture_engine)
    assert again.weights["satisfaction"] == 50 and again.min_cases == 3
    assert "满意率" in again.describe()


def test_excel_and_word_exports(fixture_engine):
    import io

    from docx import Document
    from docx.oxml.ns import qn
    from openpyxl import load_workbook

    from exports.ranking_reports import ranking_report

    book = load_workbook(io.BytesIO(ranking_report(fixture_engine, "2025-Q1", AS_OF, "xlsx",
                                                   scheme=SMALL, place=EVERYTHING)))
    sheet = book["排名"]
    assert sheet["A1"].value == "测试市2025年第一季度乡镇（街道）信访工作综合排名"
    headers = [c.value for c in sheet[3]]
    assert headers[:5] == ["排名", "乡镇（街道）", "县（市、区）", "综合得分", "排名变化"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=4, max_row=6)]
    assert [r[1] for r in rows] == ["二镇", "一镇", "三镇"] and [r[0] for r in rows] == [1, 2, 3]
    assert rows[1][3] == pytest.approx(70.17) and rows[1][2] == "甲县"
    flag = headers.index("通报候选")
    assert [r[flag] for r in rows] == [None, "是", "是"]
    assert sheet.cell(row=5, column=1).fill.fgColor.rgb.endswith("F8D7DA")      # highlighted
    assert sheet.cell(row=4, column=1).fill.fgColor.rgb in ("00000000", None)
    assert sheet.page_setup.orientation == "landscape" and sheet.freeze_panes == "A4"

    doc = Document(io.BytesIO(ranking_report(fixture_engine, "2025-Q1", AS_OF, "docx",
                                             scheme=SMALL, place=EVERYTHING)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "关于2025年第一季度信访工作情况的通报" in text and "综合得分" in text
    cells = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert cells[0][0] == "名称" and {cells[1][0], cells[2][0]} == {"甲县一镇", "乙县三镇"}
    assert any("进京访 1 件" in row[-1] for row in cells[1:])
    title = next(p for p in doc.paragraphs if p.text.startswith("关于"))
    assert title.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    body = next(p for p in doc.paragraphs if p.text.startswith("根据"))
    assert body.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    normal = doc.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == "仿宋_GB2312"


def test_cli_export_ranking(tmp_path):
    import subprocess
    import sys

    from data.database import PROJECT_DIR, make_engine, migrate
    from tests.fixture_cases import load_fixture

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    migrate(engine)
    load_fixture(engine)
    for name in ("r.xlsx", "r.docx"):
        result = subprocess.run([sys.executable, "cli.py", "export", "ranking", "--period", "2025-Q1",
                                 "--url", url, "--out", str(tmp_path / name)], cwd=PROJECT_DIR,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert (tmp_path / name).stat().st_size > 5000
    bad = subprocess.run([sys.executable, "cli.py", "export", "ranking", "--period", "2025-Q7",
                          "--url", url, "--out", str(tmp_path / "bad.xlsx")], cwd=PROJECT_DIR,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "格式不对" in bad.stderr and not (tmp_path / "bad.xlsx").exists()
