"""AppTest: a row picked on the dispatch and ranking pages opens 综合查询 on its cases."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.signin import choose, headings, html_tables, notes, open_expander, signed_in_app, titles


def pick_row(at: AppTest, key: str, row: int) -> AppTest:
    """A click on a row of the table drawn under `key`: an HTML table (ui.html_table) reports the
    row's position, Streamlit's own table its selection."""
    if any(element.proto.id.endswith(key) or key in element.proto.id
           for element in at.get("bidi_component")):
        at.session_state[key] = {"picked": row}
    else:
        at.session_state[key] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    assert not at.exception, at.exception
    return at


def url(at: AppTest) -> dict[str, str]:
    return {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def ranking_of_the_first_quarter() -> AppTest:
    """The township ranking of 2025-Q1, every township ranked, at least one candidate."""
    at = signed_in_app("app.py", **{"from": "2025-01", "to": "2025-03"})
    at.switch_page("pages/ranking.py").run()
    choose(at, "rank_kind", "quarter")
    choose(at, "rank_period", "2025-Q1")
    open_expander(at, "rank_scheme_open")
    at.number_input(key="r_cases").set_value(1).run()
    at.number_input(key="r_min").set_value(1).run()
    return at


def dispatch_of_march(section: str) -> AppTest:
    """The dispatch review of 2025-03, one of its tabs open (as clicked)."""
    at = signed_in_app("app.py", **{"from": "2025-03", "to": "2025-03"})
    at.switch_page("pages/dispatch.py").run()
    choose(at, "dispatch_month", "2025-03")
    at.session_state["dispatch_section"] = section
    return at.run()


def test_dispatch_unit_row_opens_its_overdue_cases(app_db):
    at = signed_in_app("app.py", **{"from": "2025-01", "to": "2025-03"})
    at.switch_page("pages/dispatch.py").run()
    choose(at, "dispatch_month", "2025-03")
    [units] = html_tables(at)
    assert list(units["责任单位"])[:2] == ["三镇", "一镇"]
    pick_row(at, "dispatch_units", 0)  # 三镇: B1 overdue at the end of March
    assert titles(at)[0] == "综合查询"
    assert "共 1 件" in headings(at)
    assert url(at)["basis"] == "overdue" and url(at)["unit"] == "3"
    [table] = html_tables(at)
    assert list(table["信访件编号"]) == ["B1"]
    at.switch_page("pages/search.py")  # where the app went (AppTest reruns the page it was told)
    pick_row(at, "s_table", 0)  # the row clicked: its case file
    assert "案件档案：B1" in [h.value for h in at.header]


def test_overview_area_row_opens_its_cases(app_db):
    """The overview's table of areas, sorted by count (the fixture: 甲县 9 cases, 乙县 3): a click
    on a row opens 综合查询 on that area's cases of the period."""
    at = signed_in_app("app.py", **{"from": "2025-01", "to": "2025-03"})
    [areas] = html_tables(at)
    assert list(areas["地区"]) == ["甲县", "乙县"] and list(areas["信访件数"]) == ["9", "3"]
    # 乙县: B1 overdue, B2 its one evaluation (dissatisfied); figures formatted as on the cards.
    assert areas.iloc[1][["逾期未结", "满意率", "按期办结率"]].tolist() == ["1", "0.0%", "50.0%"]
    pick_row(at, "overview_areas", 1)
    assert titles(at)[0] == "综合查询"
    assert "共 3 件" in headings(at)
    assert url(at)["county"] == "100200" and url(at)["from"] == "2025-01"


def test_dispatch_overdue_row_opens_the_case_file(app_db):
    at = dispatch_of_march("逾期未结清单")
    pick_row(at, "dispatch_overdue", 0)
    assert "案件档案：B1" in [h.value for h in at.header]  # registered in January, still found
    assert "共 1 件" in headings(at)


def test_ranking_row_opens_the_townships_cases(app_db):
    at = ranking_of_the_first_quarter()
    [table] = html_tables(at)
    assert list(table["乡镇（街道）"]) == ["二镇", "一镇", "三镇"]
    pick_row(at, "rank_table", 1)  # 一镇: A1, A2, A6, C1 registered in the first quarter
    assert titles(at)[0] == "综合查询"
    assert "共 4 件" in headings(at)
    assert url(at)["township"] == "100100001" and url(at)["to"] == "2025-03"


def test_dispatch_key_case_rows_open_their_case_files(app_db):
    at = dispatch_of_march("重点案件")
    pick_row(at, "dispatch_cleared", 0)  # C1, crossed off on 2025-03-05
    assert "案件档案：C1" in [h.value for h in at.header]
    at = dispatch_of_march("重点案件")
    pick_row(at, "dispatch_key_open", 0)  # A2, still being resolved
    assert "案件档案：A2" in [h.value for h in at.header]


def test_ranking_candidates_list_the_cases_behind_their_figures(app_db):
    at = ranking_of_the_first_quarter()
    # The links are built when a candidate is chosen and 问题件 clicked, in a window of their own.
    assert not any("件" in link.proto.label for link in at.get("page_link"))
    choose(at, "reasons", "100100001")
    at.button(key="reasons_open").click().run()
    assert not at.exception, at.exception
    links = [link.proto.label for link in at.get("page_link")]
    # 一镇 is a candidate for its 进京访 (C1): its links count what the ranking counted
    assert "进京访 1 件" in links and "本期信访件 4 件" in links and "重点案件未销号 1 件" in links


def test_ranking_table_lists_the_ranked_and_names_the_others(app_db):
    at = signed_in_app("app.py", **{"from": "2025-01", "to": "2025-03"})
    at.switch_page("pages/ranking.py").run()
    choose(at, "rank_kind", "quarter")
    choose(at, "rank_period", "2025-Q1")
    open_expander(at, "rank_scheme_open")
    at.number_input(key="r_cases").set_value(4).run()  # 一镇 4 cases, 二镇 4, 三镇 3
    [table] = html_tables(at)
    assert sorted(table["乡镇（街道）"]) == ["一镇", "二镇"]
    assert set(table["排名变化"]) == {"—"}  # nothing ranked in 2024-Q4: a dash, not None
    assert any("未参与排名" in c and "三镇（3 件）" in c for c in notes(at))
