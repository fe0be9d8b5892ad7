"""Drill-down on the hand-computed fixture, SQLite and PostgreSQL: the list a figure's link or row
opens in 综合查询 (the parameters built by ui/drill.py, read as the search page reads them) has
exactly as many cases as the figure says."""
from __future__ import annotations

from datetime import date

import pytest

from queries.alerts import alert_cases
from queries.dispatch import dispatch_summary, month_filters, overdue_cases, unit_progress
from queries.filters import Filters, period_filters, previous_period
from queries.ranking import township_ranking
from queries.satisfaction import BREAKDOWNS, dissatisfied_cases, satisfaction_breakdown
from queries.scope import EVERYTHING, Scope
from queries.search import case_query_from_params, search_cases, search_count
from queries.situation_map import as_of_month_end, key_case_board, township_map_figures
from tests.fixture_cases import AS_OF
from tests.scoping import all_months
from ui.drill import (
    alert_params, case_params, dispatch_figure_params, dissatisfied_params, ranking_reason_links,
    ranking_row_params, search_params, unit_row_params,
)

PERIOD = all_months("2025-01", "2025-03", AS_OF)
JIA = Scope("100100", "county", county="100100")
PLACES = [PERIOD, all_months("2025-01", "2025-03", AS_OF, "100100"),
          all_months("2025-01", "2025-03", AS_OF, "100200", "100200001")]


def drilled(engine, params: dict[str, str], scope: Scope = EVERYTHING, as_of: date = AS_OF):
    """The search the page runs for these URL parameters: the sidebar's Filters, the box's query."""
    filters = Filters.for_months(params["from"], params["to"], as_of, params.get("county"),
                                 params.get("township"), params.get("category"), scope=scope)
    query = case_query_from_params(params)
    found = search_cases(engine, filters, query)
    count = search_count(engine, filters, query)
    assert count == len(found)
    return count, sorted(found["case_no"])


@pytest.mark.parametrize("month", ["2025-02", "2025-03"])
def test_dispatch_figures_drill_to_as_many_cases(fixture_engine, month):
    columns = {"new": "new_count", "closed": "closed_count", "backlog_start": "backlog_start_count",
               "backlog_end": "backlog_end_count", "overdue_end": "overdue_end_count"}
    for place in PLACES:
        review = month_filters(month, AS_OF, place)
        summary = dispatch_summary(fixture_engine, review).iloc[0]
        for figure, column in columns.items():
            count, _ = drilled(fixture_engine, dispatch_figure_params(review, figure))
            assert count == int(summary[column]), (month, place.county, figure)


def test_dispatch_figures_by_hand(fixture_engine):
    review = month_filters("2025-03", AS_OF, PERIOD)
    assert drilled(fixture_engine, dispatch_figure_params(review, "closed"))[1] == [
        "A1", "A2", "B2"]
    assert drilled(fixture_engine, dispatch_figure_params(review, "overdue_end"))[1] == ["B1"]
    assert drilled(fixture_engine, dispatch_figure_params(review, "backlog_start"))[1] == [
        "A1", "A2", "A4", "A6", "B1", "B2", "B3"]


@pytest.mark.parametrize("month", ["2025-01", "2025-03"])
def test_unit_rows_drill_to_as_many_cases(fixture_engine, month):
    review = month_filters(month, AS_OF, PERIOD)
    units = unit_progress(fixture_engine, review)
    assert len(units) > 1
    for unit in units.itertuples():
        count, cases = drilled(fixture_engine, unit_row_params(
            review, unit.unit_id, unit.overdue_open_count))
        expected = unit.overdue_open_count or unit.dispatched_count
        assert count == expected, unit.unit_name
    march = unit_progress(fixture_engine, month_filters("2025-03", AS_OF, PERIOD))
    b_unit = march[march["unit_name"] == "三镇"].iloc[0]
    assert drilled(fixture_engine, unit_row_params(review, b_unit.unit_id, 1))[1] == (
        ["B1"] if month == "2025-03" else [])


def test_overdue_and_key_case_rows_open_their_case(fixture_engine):
    review = month_filters("2025-03", AS_OF, PERIOD)
    overdue = overdue_cases(fixture_engine, review)
    board = key_case_board(fixture_engine, PERIOD)
    for case_no in [*overdue["case_no"], *board["case_no"]]:
        params = case_params(review, case_no)
        assert params["case"] == case_no
        assert drilled(fixture_engine, params) == (1, [case_no])
    # A case registered before the sidebar's period still opens; one outside the scope does not.
    assert drilled(fixture_engine, case_params(PERIOD, "D1")) == (1, ["D1"])
    jia = all_months("2025-01", "2025-03", AS_OF, scope=JIA)
    assert drilled(fixture_engine, case_params(jia, "B1"), scope=JIA) == (0, [])


def test_satisfaction_cells_drill_to_their_dissatisfied_cases(fixture_engine):
    for place in PLACES:
        for by in BREAKDOWNS:
            frame = satisfaction_breakdown(fixture_engine, place, by)
            for value, num, den in zip(frame.iloc[:, 0], frame["satisfaction_num"],
                                       frame["satisfaction_den"]):
                count, cases = drilled(fixture_engine, dissatisfied_params(place, by, value))
                assert count == int(den) - int(num), (by, value)
                assert cases == sorted(dissatisfied_cases(fixture_engine, place, by, value)["case_no"])
        for month in ("2025-01", "2025-02", "2025-03"):
            count, cases = drilled(fixture_engine, dissatisfied_params(place, "month", month))
            assert cases == sorted(dissatisfied_cases(fixture_engine, place, "month", month)["case_no"])
    assert drilled(fixture_engine, dissatisfied_params(PERIOD, None, None)) == (1, ["B2"])


@pytest.mark.parametrize("level", ["township", "county", "unit"])
@pytest.mark.parametrize("period", ["2025-Q1", "2025-03"])
def test_ranking_rows_drill_to_the_entitys_cases(fixture_engine, level, period):
    current = period_filters(period, AS_OF, PERIOD)
    previous = period_filters(previous_period(period), AS_OF, PERIOD)
    frame = township_ranking(fixture_engine, current, previous, None, level)
    assert len(frame) >= 1
    for entity, case_count in zip(frame["entity"], frame["case_count"]):
        count, _ = drilled(fixture_engine, ranking_row_params(current, level, entity))
        assert count == int(case_count), (level, entity)


@pytest.mark.parametrize("level", ["township", "county", "unit"])
@pytest.mark.parametrize("period", ["2025-Q1", "2025-03"])
def test_ranking_reasons_drill_to_as_many_cases(fixture_engine, level, period):
    """Each link of a ranking row (its cases, those each rate counts against, the deductions' visits,
    the key cases not crossed off) opens as many cases as the ranking counted."""
    current = period_filters(period, AS_OF, PERIOD)
    previous = period_filters(previous_period(period), AS_OF, PERIOD)
    frame = township_ranking(fixture_engine, current, previous, None, level)
    seen = set()
    for row in frame.itertuples():
        for label, count, params in ranking_reason_links(current, level, row):
            assert count > 0
            assert drilled(fixture_engine, params)[0] == count, (level, row.entity, label)
            seen.add(label)
    if period == "2025-Q1":
        assert {"本期信访件", "未及时受理", "未按期办结", "未参评", "不满意", "重复信访", "进京访",
                "到省访", "到市访", "集体访", "重点案件未销号"} <= seen


def test_ranking_reasons_by_hand(fixture_engine):
    """一镇 in 2025-Q1 (taken on 2025-03-31): A1, A2, A6, C1 registered; A2 accepted on day 20 and
    closed two days late; C1 closed on 2025-01-20 and never evaluated; A2 repeat and 到省, C1 进京,
    A1 collective; key cases A2 (open) and C1 (crossed off on 2025-03-05)."""
    current = period_filters("2025-Q1", AS_OF, PERIOD)
    previous = period_filters("2024-Q4", AS_OF, PERIOD)
    frame = township_ranking(fixture_engine, current, previous, None, "township")
    row = next(frame[frame["entity"] == "100100001"].itertuples())
    found = {label: drilled(fixture_engine, params)[1]
             for label, _count, params in ranking_reason_links(current, "township", row)}
    assert found == {"本期信访件": ["A1", "A2", "A6", "C1"], "未及时受理": ["A2"], "未按期办结": ["A2"],
                     "未参评": ["C1"], "重复信访": ["A2"], "进京访": ["C1"], "到省访": ["A2"],
                     "集体访": ["A1"], "重点案件未销号": ["A2"]}


def test_alert_rows_drill_to_exactly_their_cases_inside_the_scope(fixture_engine):
    listed = ("A1", "B1", "D1", "E1", "NOPE")
    jia = all_months("2025-03", "2025-03", AS_OF, scope=JIA)
    for scope, filters in ((EVERYTHING, PERIOD), (JIA, jia)):
        expected = sorted(alert_cases(fixture_engine, scope, listed)["case_no"])
        assert drilled(fixture_engine, alert_params(filters, listed), scope=scope) == (
            len(expected), expected)
    assert expected == ["A1", "D1", "E1"]


def test_map_townships_drill_to_their_cases(fixture_engine):
    for view in (PERIOD, as_of_month_end(PERIOD, date(2025, 2, 28))):
        figures = township_map_figures(fixture_engine, view)
        for township, case_count in zip(figures["township_code"], figures["case_count"]):
            count, _ = drilled(fixture_engine, search_params(view, township=township))
            assert count == int(case_count)
