"""Scores, ranks, candidates and stability on the hand-built fixture (2025 Q1)."""
import pytest

from queries.filters import parse_period, period_filters, previous_period
from queries.ranking import (
    RankingScheme, candidate_stability, candidates, rank_entities, ranking_indicators, read_scheme,
    township_ranking,
)
from tests.fixture_cases import AS_OF

Q1 = period_filters("2025-Q1", AS_OF)
Q4 = period_filters(previous_period("2025-Q1"), AS_OF)
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
    share = candidate_stability(current, SMALL, draws=200)
    assert share["100200001"] == 1.0 and share["100100001"] == 1.0 and share["100100002"] == 0.0
    full = township_ranking(fixture_engine, Q1, Q4, SMALL)
    assert full.iloc[0]["entity_name"] == "二镇"
    assert full.set_index("entity").loc["100200001", "stability"] == 1.0


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
