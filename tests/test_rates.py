"""Every rate and count against the hand-computed fixture, on SQLite and PostgreSQL."""
import pandas as pd
import pytest

from queries.figures import case_figures

from queries.overview import headline_figures, monthly_trend
from queries.rates import pct, wilson_interval
from tests.fixture_cases import AS_OF
from tests.scoping import all_months

PERIOD = all_months("2025-01", "2025-03", AS_OF)


def test_headline_counts_and_rates(fixture_engine):
    row = case_figures(fixture_engine, PERIOD).iloc[0]
    assert row["case_count"] == 12          # A1-A6, B1-B3, C1-C3; D1 and E1 are outside
    assert row["person_count"] == 22        # A1 8 + A2 3 + B1 2 + nine single petitioners
    assert row["collective_count"] == 1 and row["collective_person_count"] == 8
    assert (row["to_city_count"], row["to_city_person_count"]) == (1, 2)
    assert (row["to_province_count"], row["to_province_person_count"]) == (1, 3)
    assert (row["to_beijing_count"], row["to_beijing_person_count"]) == (1, 1)
    # Accepted within 15 days (A1, A5, A6 at exactly 15, B1-B3, C1-C3) of those due
    # (those plus A2 accepted late and A4 never accepted); A3 is not yet due.
    assert (row["timely_accept_num"], row["timely_accept_den"]) == (9, 11)
    # On time: A1, B2 (on its deadline), C1-C3; late: A2; overdue and open: B1.
    # A5, A6 (extended) and B3 (closed after AS_OF) are not yet due; A3, A4 have no deadline.
    assert (row["ontime_close_num"], row["ontime_close_den"]) == (5, 7)
    # Evaluated A1, B2, C2; expired unrated C1 and C3 (rated only after AS_OF); A2 still in window.
    assert (row["participation_num"], row["participation_den"]) == (3, 5)
    assert (row["satisfaction_num"], row["satisfaction_den"]) == (2, 3)
    assert (row["satisfaction_strict_num"], row["satisfaction_strict_den"]) == (1, 3)
    assert (row["repeat_num"], row["repeat_den"]) == (2, 12)
    assert row["open_count"] == 6            # A3, A4, A5, A6, B1, B3 (closed after AS_OF)
    assert row["overdue_count"] == 1         # B1
    assert row["timely_accept_pct"] == pytest.approx(81.818, abs=1e-3)
    assert row["ontime_close_pct"] == pytest.approx(71.429, abs=1e-3)
    assert row["participation_pct"] == pytest.approx(60.0)
    assert row["satisfaction_pct"] == pytest.approx(66.667, abs=1e-3)
    assert row["satisfaction_strict_pct"] == pytest.approx(33.333, abs=1e-3)
    assert row["repeat_pct"] == pytest.approx(16.667, abs=1e-3)


def test_filters_narrow_by_place_and_category(fixture_engine):
    county = all_months("2025-01", "2025-03", AS_OF, county="100200")
    row = case_figures(fixture_engine, county).iloc[0]
    assert row["case_count"] == 3 and row["overdue_count"] == 1
    assert (row["ontime_close_num"], row["ontime_close_den"]) == (1, 2)
    township = all_months("2025-01", "2025-03", AS_OF, county="100100", township="100100002")
    assert case_figures(fixture_engine, township).iloc[0]["case_count"] == 5
    category = all_months("2025-01", "2025-03", AS_OF, category="劳动和社会保障")
    assert case_figures(fixture_engine, category).iloc[0]["case_count"] == 1


def test_year_earlier_and_months(fixture_engine):
    frame = headline_figures(fixture_engine, PERIOD).set_index("period")
    assert frame.loc["year_earlier", "case_count"] == 1
    assert frame.loc["year_earlier", "satisfaction_pct"] == pytest.approx(100.0)
    trend = monthly_trend(fixture_engine, PERIOD)
    assert list(trend["report_month"]) == ["2025-01", "2025-02", "2025-03"]
    # January: A1, A2, A6, B1, B2, C1-C3; February: A4, B3; March: A3, A5.
    assert list(trend["case_count"]) == [8, 2, 2]
    assert list(trend["year_earlier_case_count"]) == [0, 1, 0]


def test_groupings(fixture_engine):
    by_county = case_figures(fixture_engine, PERIOD, by="county").set_index("county_code")
    assert by_county.loc["100100", "case_count"] == 9
    assert by_county.loc["100200", "case_count"] == 3
    by_unit = case_figures(fixture_engine, PERIOD, by="unit").set_index("unit_id")
    assert by_unit.loc[4, "case_count"] == 1


def test_empty_period_gives_no_rate(fixture_engine):
    empty = all_months("2023-01", "2023-02", AS_OF)
    row = case_figures(fixture_engine, empty).iloc[0]
    assert row["case_count"] == 0
    assert pd.isna(row["satisfaction_pct"])


def test_pct_and_wilson():
    assert pct(1, 0) is None
    assert pct(1, 4) == 25.0
    assert wilson_interval(0, 0) == (None, None)
    low, high = wilson_interval(2, 3)
    assert low == pytest.approx(20.77, abs=0.01) and high == pytest.approx(93.85, abs=0.01)
    low, high = wilson_interval(0, 5)
    assert low == 0.0 and high == pytest.approx(43.45, abs=0.01)


@pytest.mark.parametrize("as_of,expired", [("2025-03-12", False), ("2025-03-13", True)])
def test_evaluation_window_ends_after_day_30(fixture_engine, as_of, expired):
    # C3 closed on 2025-02-10 and unrated until after AS_OF: on day 30 after closing (03-12) it is
    # still within its window; from day 31 (03-13) it counts as expired unrated (README: 超过 30 日).
    from datetime import date

    day = date.fromisoformat(as_of)
    filters = all_months("2025-01", "2025-01", day, township="100100002", county="100100")
    row = case_figures(fixture_engine, filters).iloc[0]
    # 二镇 in January: C2 (rated 02-05) and C3.
    assert (row["participation_num"], row["participation_den"]) == (1, 2 if expired else 1)


def test_key_clear_rate_defined_with_the_others(fixture_engine):
    from queries.ranking import ranking_indicators
    from queries.rates import key_clear_definition

    assert key_clear_definition().key == "key_clear"
    frame = ranking_indicators(fixture_engine, PERIOD).set_index("entity")
    # 一镇: A2 (on the list, 化解中) and C1 (crossed off 03-05): 1 of 2.
    assert (frame.loc["100100001", "key_clear_num"], frame.loc["100100001", "key_clear_den"]) == (1, 2)
    assert frame.loc["100100001", "key_clear_pct"] == pytest.approx(50.0)
    feb = ranking_indicators(fixture_engine, all_months("2025-02", "2025-02", AS_OF), "county")
    # February, 甲县: both on the list, none crossed off in it.
    row = feb.set_index("entity").loc["100100"]
    assert (row["key_clear_num"], row["key_clear_den"]) == (0, 2)
