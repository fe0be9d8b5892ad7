"""Satisfaction rates, intervals and ranking on the hand-built fixture."""
import pandas as pd
import pytest


from queries.satisfaction import (
    dissatisfied_cases, rank_against_target, satisfaction_breakdown, satisfaction_by_area_month,
    satisfaction_trend,
)
from tests.fixture_cases import AS_OF
from tests.scoping import all_months

PERIOD = all_months("2025-01", "2025-03", AS_OF)


def test_trend_with_zero_and_tiny_samples(fixture_engine):
    trend = satisfaction_trend(fixture_engine, PERIOD).set_index("report_month")
    jan = trend.loc["2025-01"]
    assert (jan["satisfaction_num"], jan["satisfaction_den"]) == (2, 3)     # A1 满意, C2 基本满意, B2 不满意
    assert jan["satisfaction_low_pct"] == pytest.approx(20.77, abs=0.01)
    assert jan["satisfaction_high_pct"] == pytest.approx(93.85, abs=0.01)
    assert jan["satisfaction_strict_pct"] == pytest.approx(33.333, abs=0.001)
    feb = trend.loc["2025-02"]                                               # nothing evaluated
    assert feb["satisfaction_den"] == 0 and pd.isna(feb["satisfaction_pct"])
    assert pd.isna(feb["satisfaction_low_pct"])


def test_breakdowns_all_unsatisfied_and_methods(fixture_engine):
    towns = satisfaction_breakdown(fixture_engine, PERIOD, "township").set_index("township_code")
    three = towns.loc["100200001"]                                           # B2 only: 不满意
    assert (three["satisfaction_num"], three["satisfaction_den"]) == (0, 1)
    assert three["satisfaction_pct"] == 0.0 and three["satisfaction_low_pct"] == 0.0
    assert three["satisfaction_high_pct"] == pytest.approx(79.35, abs=0.01)
    methods = satisfaction_breakdown(fixture_engine, PERIOD, "method").set_index("method")
    assert methods.loc["电话回访", "satisfaction_den"] == 1                  # C3 was rated after AS_OF
    assert methods.loc["微信", "satisfaction_pct"] == 0.0
    # An unevaluated case has no method: 参评率 by method is not shown (it would be 100% each).
    assert methods["participation_pct"].isna().all() and methods["participation_den"].isna().all()
    categories = satisfaction_breakdown(fixture_engine, PERIOD, "category").set_index("category")
    assert categories.loc["劳动和社会保障", "satisfaction_den"] == 0
    assert pd.isna(categories.loc["劳动和社会保障", "satisfaction_pct"])


def test_ranking_skips_small_samples(fixture_engine):
    towns = satisfaction_breakdown(fixture_engine, PERIOD, "township")
    ranked = rank_against_target(towns, 95.0, 1)
    # Rank 1 is the best: 一镇 and 二镇 at 100%, 三镇 (0 of 1) last.
    assert list(ranked["rank"]) == [1, 2, 3] and ranked.iloc[-1]["township_code"] == "100200001"
    assert ranked.iloc[-1]["gap_pct"] == pytest.approx(-95.0) and ranked.iloc[0]["gap_pct"] == pytest.approx(5.0)
    none_ranked = rank_against_target(towns, 95.0, 2)
    assert not none_ranked["ranked"].any() and none_ranked["rank"].isna().all()


def test_drill_down_lists_the_unsatisfied(fixture_engine):
    cases = dissatisfied_cases(fixture_engine, PERIOD)
    assert list(cases["case_no"]) == ["B2"]                                 # D1 is outside the period
    assert "petitioner_name" not in cases.columns and cases.iloc[0]["unit_name"] == "三镇"
    assert list(dissatisfied_cases(fixture_engine, PERIOD, "month", "2025-01")["case_no"]) == ["B2"]
    assert dissatisfied_cases(fixture_engine, PERIOD, "month", "2025-02").empty
    assert dissatisfied_cases(fixture_engine, PERIOD, "township", "100100001").empty
    assert list(dissatisfied_cases(fixture_engine, PERIOD, "method", "微信")["case_no"]) == ["B2"]


def test_sparkline_series(fixture_engine):
    frame = satisfaction_by_area_month(fixture_engine, PERIOD, "county")
    jan = frame[(frame["county_code"] == "100100") & (frame["report_month"] == "2025-01")].iloc[0]
    assert (jan["satisfaction_num"], jan["satisfaction_den"]) == (2, 2)     # A1 and C2
