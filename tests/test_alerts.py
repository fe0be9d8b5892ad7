"""Early warning on hand-built series: a planted cluster is found, a flat series and small counts
stay quiet; jumps need a minimum count; repeat petitioners are matched on their key, masked."""
from datetime import date, timedelta

import pytest

from data import rollups, schema
from queries.alerts import (
    AlertSettings, alert_cases, all_alerts, cluster_alerts, jump_alerts, mask_name, poisson_tail,
    repeat_petitioner_alerts,
)

from tests.fixture_cases import case_row, load_places
from tests.scoping import all_filters
from queries.scope import EVERYTHING

DAY = date(2025, 6, 30)
AT = all_filters(start=DAY, end=DAY, as_of=DAY)


def load(engine, cases):
    with engine.begin() as conn:
        load_places(conn)
        conn.execute(schema.cases.insert(), cases)
        rollups.rebuild(conn)


def weekly(prefix, town, category, weeks=60, step=7, **extra):
    """One case every `step` days before DAY, for `weeks` steps."""
    rows = []
    for i in range(weeks):
        day = DAY - timedelta(days=8 + step * i)
        rows.append(case_row(f"{prefix}{i:03d}", day.isoformat(), None, None, None, None, town, 1,
                             {"category": category, **extra}))
    return rows


def burst(prefix, town, category, count, **extra):
    return [case_row(f"{prefix}{i:02d}", (DAY - timedelta(days=i % 6)).isoformat(), None, None, None,
                     None, town, 1, {"category": category, **extra}) for i in range(count)]


def test_poisson_tail_and_masking():
    assert poisson_tail(0, 2.0) == 1.0
    assert poisson_tail(1, 2.0) == pytest.approx(1 - 0.135335, abs=1e-6)
    assert poisson_tail(8, 1.0) == pytest.approx(1.0249e-5, rel=1e-3)
    from queries.alerts import probability_text

    assert probability_text(5.7e-5) == "约 1/18,000" and probability_text(3e-7) == "不到百万分之一"
    assert probability_text(0.025) == "约 2.5%"
    assert mask_name("张三丰") == "张*丰" and mask_name("李四") == "李*" and mask_name(None) == "—"


def test_first_improbable_count_matches_the_tail():
    from queries.alerts import first_improbable

    for expected in (0.2, 0.9, 3.0, 12.5, 80.0):
        for threshold in (0.05, 1e-3, 1e-4):
            for most in (0, 1, 5, 40, 300):
                slow = next((k for k in range(1, most + 1)
                             if poisson_tail(k, expected) < threshold), most)
                assert first_improbable(expected, threshold, most) == slow


def test_planted_cluster_found_flat_series_quiet(empty_engine):
    # 一镇: one 环境保护 case a week for a year, then 8 in the last week.
    # 二镇: the same weekly series and nothing more: flat, quiet.
    load(empty_engine, weekly("F", "100100001", "环境保护") + burst("B", "100100001", "环境保护", 8)
         + weekly("G", "100100002", "环境保护"))
    alerts = cluster_alerts(empty_engine, AT)
    assert list(alerts["township_code"]) == ["100100001"]
    hit = alerts.iloc[0]
    assert hit["category"] == "环境保护" and hit["window_days"] == 7 and hit["observed"] == 8
    # Baseline: 52 cases in the 365 days before the window -> about 1 a week.
    assert hit["expected"] == pytest.approx(52 * 7 / 365, abs=0.02)
    assert hit["level"] == "告警" and len(hit["case_nos"]) == 8
    assert hit["first_seen"] >= DAY - timedelta(days=5)


def test_small_counts_stay_quiet(empty_engine):
    load(empty_engine, burst("S", "100100001", "民政", 3))  # no history, but only 3 cases
    assert cluster_alerts(empty_engine, AT).empty


def test_jump_needs_a_minimum_count(empty_engine):
    # 1 到省 case last year, 2 now: +100%, but below the minimum count.
    rows = burst("N", "100100001", "政法", 2, escalation="到省")
    rows += [case_row("L1", (DAY - timedelta(days=365)).isoformat(), None, None, None, None,
                      "100100001", 1, {"escalation": "到省"})]
    load(empty_engine, rows)
    assert jump_alerts(empty_engine, AT).empty
    loud = jump_alerts(empty_engine, AT, AlertSettings(jump_min_count=2))
    assert {"county", "township"} == set(loud["area_level"]) and set(loud["category"]) == {"到省"}
    assert (loud["level"] == "告警").all() and (loud["observed"] == 2).all()
    assert (loud["first_seen"] == DAY).all()  # the second case, on DAY, made it two


def test_repeat_petitioner_masked(empty_engine):
    rows = burst("R", "100200001", "国土资源", 5, petitioner_key="same-person")
    load(empty_engine, rows)
    alerts = repeat_petitioner_alerts(empty_engine, AT)
    assert len(alerts) == 1
    row = alerts.iloc[0]
    assert row["petitioner"] == "张*丰" and row["observed"] == 5 and row["level"] == "异常"
    combined = all_alerts(empty_engine, AT)
    assert "张三丰" not in combined.to_string()
    cases = alert_cases(empty_engine, EVERYTHING, tuple(row["case_nos"]))
    assert len(cases) == 5 and "petitioner_name" not in cases.columns


def test_jump_of_exactly_twenty_percent_is_not_more_than_twenty(empty_engine):
    # 5 到省 cases last year in the window, 6 now (+20% exactly), 6 in the window before as well.
    from queries.alerts import jump_level

    rows = burst("N", "100100001", "政法", 6, escalation="到省")
    rows += [case_row(f"L{i}", (DAY - timedelta(days=365 + i)).isoformat(), None, None, None, None,
                      "100100001", 1, {"escalation": "到省"}) for i in range(5)]
    rows += [case_row(f"P{i}", (DAY - timedelta(days=31 + i)).isoformat(), None, None, None, None,
                      "100100001", 1, {"escalation": "到省"}) for i in range(5)]
    load(empty_engine, rows)
    alerts = jump_alerts(empty_engine, AT)
    township = alerts[alerts["area_level"] == "township"]
    assert list(township["change_pct"]) == [20.0] and list(township["level"]) == ["异常"]
    assert jump_level(20.0, AlertSettings()) == "异常" and jump_level(20.1, AlertSettings()) == "告警"
    assert jump_level(10.0, AlertSettings()) is None


def test_repeat_alerts_group_the_same_person_on_the_same_matter(empty_engine):
    # One petitioner: 4 cases on 国土资源 and 3 on 民政 -> one alert (国土资源), not one of 7.
    rows = burst("R", "100200001", "国土资源", 4, petitioner_key="same-person")
    rows += burst("M", "100200001", "民政", 3, petitioner_key="same-person")
    load(empty_engine, rows)
    alerts = repeat_petitioner_alerts(empty_engine, AT)
    assert list(alerts["category"]) == ["国土资源"] and list(alerts["observed"]) == [4]
    assert all(no.startswith("R") for no in alerts.iloc[0]["case_nos"])
    detail = all_alerts(empty_engine, AT)
    detail = detail[detail["kind"] == "重复信访"]
    assert list(detail["detail"]) == ["信访人 张*丰 近90天就国土资源问题来信来访 4 次（同人同事）"]
    clusters = all_alerts(empty_engine, AT)
    assert "出现这么多件的概率约 1/18,000" in clusters[clusters["kind"] == "同类聚集"].iloc[0]["detail"]
    assert "e-0" not in " ".join(clusters["detail"])
