"""The rollup tables give exactly the figures the case table gives: for every as-of day (month
ends, mid-month, before and after events), every breakdown they keep and every place; after the
demo generator, after an import and after an evaluation list. SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date
from itertools import product

import pandas as pd
import pytest
from sqlalchemy import text

from data import rollups
from queries import steps
from queries.figures import case_figures

from tests.scoping import all_filters, all_months
from queries.scope import EVERYTHING

GROUPINGS = [(), ("month",), ("county",), ("township",), ("unit",), ("category",), ("channel",),
             ("method",), ("township", "month"), ("county", "month"), ("county", "unit")]


def assert_same(engine, filters, by):
    if filters.township and any(g in ("unit", "category", "channel", "method") for g in by):
        assert not steps.usable(filters, by)  # one breakdown at a time: no townships in the others
        return
    assert steps.usable(filters, by)
    fast = case_figures(engine, filters, by, source="auto")
    slow = case_figures(engine, filters, by, source="cases")
    keys = list(fast.columns[:len(by)])
    fast = fast.sort_values(keys).reset_index(drop=True) if keys else fast
    slow = slow.sort_values(keys).reset_index(drop=True) if keys else slow
    pd.testing.assert_frame_equal(fast, slow, check_dtype=False, obj=f"{filters} by {by}")


@pytest.mark.parametrize("as_of", [date(2025, 1, 5), date(2025, 2, 28), date(2025, 3, 15),
                                   date(2025, 3, 20), date(2025, 3, 31), date(2025, 4, 10)])
def test_fixture_figures_from_rollups(fixture_engine, as_of):
    for (county, township), by in product([(None, None), ("100100", None), (None, "100200001")],
                                          GROUPINGS):
        filters = all_months("2025-01", as_of.strftime("%Y-%m"), as_of, county, township)
        assert_same(fixture_engine, filters, by)


def test_rollups_not_used_where_they_cannot_answer(fixture_engine):
    as_of = date(2025, 3, 31)
    assert not steps.usable(all_months("2025-01", "2025-03", as_of, category="民政"),
                            ("township",))
    assert not steps.usable(all_months("2025-01", "2025-03", as_of), ("category", "unit"))
    assert not steps.usable(all_filters(date(2025, 1, 10), date(2025, 3, 31), as_of))
    assert not steps.usable(all_filters(date(2025, 1, 1), date(2025, 3, 20), as_of))
    # A category filter is answered by the category cube; per township, by the case table.
    figures = case_figures(fixture_engine, all_months("2025-01", "2025-03", as_of,
                                                             category="城乡建设"))
    by_town = case_figures(fixture_engine, all_months("2025-01", "2025-03", as_of,
                                                             category="城乡建设"), "township")
    assert by_town["case_count"].sum() == figures["case_count"].iloc[0]
    with fixture_engine.connect() as conn:
        expected = conn.execute(text("SELECT COUNT(*) FROM cases WHERE category = '城乡建设' "
                                     "AND received_on BETWEEN '2025-01-01' AND '2025-03-31'")).scalar()
    assert figures["case_count"].iloc[0] == expected


@pytest.fixture()
def demo_engine(empty_engine):
    from data.demo import generate

    generate(empty_engine, profile="county", cases=4000, seed=11, end=date(2025, 12, 31))
    return empty_engine


def test_demo_figures_from_rollups(demo_engine):
    days = [date(2025, 12, 31), date(2025, 12, 10), date(2025, 6, 30), date(2025, 6, 17),
            date(2024, 11, 3)]
    with demo_engine.connect() as conn:
        town = conn.execute(text("SELECT MIN(code) FROM regions WHERE level = 'township'")).scalar()
    for as_of in days:
        start = date(as_of.year - 1, as_of.month, 1) if as_of.month < 12 else date(as_of.year, 1, 1)
        for township, by in product([None, town], GROUPINGS):
            filters = all_months(start.strftime("%Y-%m"), as_of.strftime("%Y-%m"), as_of,
                                         township=township)
            assert_same(demo_engine, filters, by)
            assert_same(demo_engine, filters.year_earlier(), by)


def snapshot(engine):
    """Every rollup table, row by row, in key order."""
    with engine.connect() as conn:
        return [conn.execute(text(f"SELECT * FROM {table} ORDER BY {keys}")).fetchall()
                for table, keys in (
                    ("rollup_daily", "cube, step_day, received_month, county_code, member"),
                    ("rollup_monthly", "cube, step_month, received_month, county_code, member"),
                    ("rollup_grid", "received_month, county_code, township_code, lon_cell, lat_cell"),
                    ("rollup_arrivals", "received_on, county_code, township_code, category"),
                    ("rollup_arrivals_monthly", "month, county_code, township_code, category"),
                    ("rollup_petitioners", "petitioner_key"))]


def test_rebuild_and_refresh_agree(demo_engine):
    before = snapshot(demo_engine)
    with demo_engine.connect() as conn:
        count = conn.execute(text("SELECT COUNT(*) FROM cases")).scalar()
        months = conn.execute(text("SELECT DISTINCT received_month FROM rollup_monthly")).fetchall()
    # Early and late in a month (read forwards from its first day, backwards from its last), and
    # beyond the tables' last month.
    for day in (date(2030, 1, 1), date(2030, 1, 25), date(2025, 6, 17), date(2024, 12, 31)):
        totals = {cube: steps.sums_as_of(demo_engine, day, "1 = 1", {}, cube=cube)
                  for cube in "TUCHM"}  # every cube holds every case, every measure
        for cube, total in totals.items():
            pd.testing.assert_frame_equal(total, totals["T"], obj=f"{cube} {day}")
        if day.year == 2030:
            assert totals["M"]["case_count"].iloc[0] == count
    rollups.rebuild_all(demo_engine)
    assert snapshot(demo_engine) == before
    # Refreshing every month, one by one, gives the same tables back.
    with demo_engine.begin() as conn:
        rollups.refresh(conn, [date.fromisoformat(str(m)[:10]) for (m,) in months])
    assert snapshot(demo_engine) == before


def test_import_keeps_rollups_in_step(fixture_engine):
    from data.importing.cases import plan_import, write_plan
    from data.importing.lists import EVALUATION_LIST, plan_list, write_list
    from data.importing.reading import read_table
    from tests.test_import import HEADER, csv

    as_of = date(2025, 3, 31)
    # A new case in 一镇 and the closing of C1's twin, registered in February.
    rows = [["N-1", "2025-02-03", "来访", 3, "一镇", "民政", "一镇", "2025-02-20", "2025-03-01", "否",
             "到省", "", "", ""]]
    plan = plan_import(fixture_engine, read_table(csv(rows, header=HEADER), "n.csv"), today=as_of)
    assert plan.ok, [p.text() for p in plan.problems]
    write_plan(fixture_engine, plan)
    evaluations = plan_list(fixture_engine, read_table(
        "信访件编号,评价日期,评价结果\nN-1,2025-03-05,不满意\n".encode(), "e.csv"), EVALUATION_LIST,
        today=as_of)
    write_list(fixture_engine, evaluations, EVALUATION_LIST)
    for by in GROUPINGS:
        assert_same(fixture_engine, all_months("2025-01", "2025-03", as_of), by)
    headline = case_figures(fixture_engine, all_months("2025-02", "2025-02", as_of))
    assert headline["satisfaction_den"].iloc[0] >= 1
    kept = snapshot(fixture_engine)  # what the imports left equals a full recomputation
    rollups.rebuild_all(fixture_engine)
    assert snapshot(fixture_engine) == kept


def test_dispatch_review_from_rollups(demo_engine, monkeypatch):
    from queries import dispatch

    with demo_engine.connect() as conn:
        county = conn.execute(text("SELECT MIN(code) FROM regions WHERE level = 'county'")).scalar()
    cases = []
    for month, county_code in product(["2025-01", "2025-06", "2025-12"], [None, county]):
        place = all_months(month, month, date(2025, 12, 31), county_code)
        cases.append(dispatch.month_filters(month, date(2025, 12, 31), place))
    cases.append(dispatch.month_filters("2025-12", date(2025, 12, 17), EVERYTHING))  # the current, partial month
    functions = (dispatch.dispatch_summary, dispatch.unit_progress, dispatch.year_so_far)
    fast = [[f(demo_engine, filters) for f in functions] for filters in cases]
    monkeypatch.setattr(steps, "cube_for", lambda *args, **kwargs: None)
    slow = [[f(demo_engine, filters) for f in functions] for filters in cases]
    for filters, a_row, b_row in zip(cases, fast, slow):
        for a, b in zip(a_row, b_row):
            a = a.sort_values(list(a.columns[:1])).reset_index(drop=True)
            b = b.sort_values(list(b.columns[:1])).reset_index(drop=True)
            pd.testing.assert_frame_equal(a, b, check_dtype=False, obj=str(filters))


def test_density_grid_from_rollups(demo_engine):
    from queries.situation_map import _density_from_cases, case_density

    for filters in (all_months("2025-01", "2025-12", date(2025, 12, 31)),
                    all_months("2025-03", "2025-12", date(2025, 12, 17))):
        fast = case_density(demo_engine, filters)
        slow = _density_from_cases(demo_engine, filters, 0.02)
        slow[["lon", "lat"]] = slow[["lon", "lat"]].astype(float).round(6)
        slow = slow.groupby(["lon", "lat"], as_index=False)["case_count"].sum()
        pd.testing.assert_frame_equal(fast, slow, check_dtype=False)
        assert fast["case_count"].sum() > 0


def test_arrival_counts_from_rollups(demo_engine):
    from queries.alerts import counts_between

    with demo_engine.connect() as conn:
        direct = pd.read_sql(text("""
SELECT township_code, category, COUNT(*) AS case_count,
       SUM(CASE WHEN is_collective THEN 1 ELSE 0 END) AS collective_count,
       SUM(CASE WHEN escalation = '进京' THEN 1 ELSE 0 END) AS to_beijing_count
FROM cases WHERE received_on BETWEEN '2025-03-09' AND '2025-10-02'
GROUP BY township_code, category ORDER BY township_code, category"""), conn)
    fast = counts_between(demo_engine, all_filters(date(2025, 1, 1), date(2025, 12, 31),
                                               date(2025, 12, 31)),
                          date(2025, 3, 9), date(2025, 10, 2), ("township_code", "category"))
    fast = fast[fast["case_count"] > 0].sort_values(["township_code", "category"])
    pd.testing.assert_frame_equal(
        fast[direct.columns].reset_index(drop=True), direct, check_dtype=False)


def test_several_spans_and_days_in_one_query(demo_engine):
    from queries.alerts import arrival_spans, counts_between

    filters = all_filters(date(2025, 1, 1), date(2025, 12, 31), date(2025, 12, 31))
    spans = {"a": (date(2025, 3, 9), date(2025, 10, 2)), "b": (date(2024, 12, 1), date(2025, 3, 8)),
             "c": (date(2025, 10, 2), date(2025, 10, 2))}
    together = arrival_spans(demo_engine, filters, spans, ("county_code", "township_code"))
    for name, (first, last) in spans.items():
        alone = counts_between(demo_engine, filters, first, last, ("county_code", "township_code"))
        merged = together.merge(alone, on=["county_code", "township_code"], how="outer").fillna(0)
        assert (merged[f"{name}_case_count"] == merged["case_count"]).all()
        assert (merged[f"{name}_to_city_count"] == merged["to_city_count"]).all()
        assert merged["case_count"].sum() > 0
    days = [date(2025, 6, 30), date(2024, 12, 31), date(2025, 2, 14), date(2019, 1, 1)]
    together = steps.sums_at(demo_engine, days, "1 = 1", {}, ("member",), cube="U")
    for k, day in enumerate(days):
        alone = steps.sums_as_of(demo_engine, day, "1 = 1", {}, ("member",), cube="U")
        mine = together[together["point"] == k].drop(columns="point").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone, check_dtype=False)
    totals = steps.sums_at(demo_engine, days, "1 = 1", {})
    assert list(totals["point"]) == [0, 1, 2, 3] and totals.loc[3, "case_count"] == 0


def test_overdue_list_limited_matches_count(demo_engine):
    """The dispatch page draws the longest overdue cases; their number is the summary's (from the
    rollups), which is the length of the full list; a township's list is limited the same way."""
    from dataclasses import replace

    from queries.dispatch import dispatch_summary, month_filters, overdue_cases

    for month in ("2025-06", "2025-12"):
        filters = month_filters(month, date(2026, 1, 31), EVERYTHING)
        full = overdue_cases(demo_engine, filters)
        assert len(full) == dispatch_summary(demo_engine, filters).iloc[0]["overdue_end_count"] > 5
        first = overdue_cases(demo_engine, filters, limit=5)
        assert list(first["days_overdue"]) == list(full["days_overdue"].head(5))
        assert set(first["case_no"]) <= set(full["case_no"])
        town = replace(filters, township=full.iloc[-1]["township_code"])
        town_full = overdue_cases(demo_engine, town)
        town_first = overdue_cases(demo_engine, town, limit=3)
        assert len(town_first) == min(3, len(town_full)) > 0
        assert set(town_first["case_no"]) <= set(town_full["case_no"])
        assert (town_first["township_code"] == town.township).all()


def test_map_figures_from_rollups(demo_engine, monkeypatch):
    from queries.situation_map import township_map_figures

    filters = all_months("2025-01", "2025-12", date(2025, 12, 17))
    fast = township_map_figures(demo_engine, filters)
    monkeypatch.setattr(steps, "cube_for", lambda *args, **kwargs: None)
    slow = township_map_figures(demo_engine, filters)
    pd.testing.assert_frame_equal(fast.reset_index(drop=True), slow.reset_index(drop=True),
                                  check_dtype=False)
    assert fast["case_count"].sum() > 0


def test_satisfaction_figures_read_only_their_measures(demo_engine, monkeypatch):
    """The satisfaction page reads a few counts from the rollups; they equal the case table's."""
    from queries import satisfaction

    filters = all_months("2025-01", "2025-12", date(2025, 12, 17))
    calls = [(satisfaction.satisfaction_trend, ()),
             *[(satisfaction.satisfaction_breakdown, (by,)) for by in satisfaction.BREAKDOWNS],
             (satisfaction.satisfaction_by_area_month, ("township",))]
    fast = [fn(demo_engine, filters, *args) for fn, args in calls]
    monkeypatch.setattr(steps, "cube_for", lambda *args, **kwargs: None)
    slow = [fn(demo_engine, filters, *args) for fn, args in calls]
    for a, b in zip(fast, slow):
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True),
                                      check_dtype=False)
    assert fast[0]["satisfaction_den"].sum() > 0


IMPORT_HEADER = ["信访件编号", "登记日期", "信访形式", "信访人数", "越级", "是否重复件", "内容分类",
                 "问题属地", "责任单位", "受理日期", "办理期限", "办结日期", "满意度", "身份证号"]


def import_rows(engine, rows, as_of):
    """The rows imported as a case list the way an office's file goes; the write's result."""
    from data.importing.cases import plan_import, write_plan
    from data.importing.reading import read_table
    from tests.test_import import csv

    plan = plan_import(engine, read_table(csv(rows, header=IMPORT_HEADER), "year.csv"), today=as_of)
    assert plan.ok, [p.text() for p in plan.problems[:3]]
    return write_plan(engine, plan)


def year_of_cases(engine, count, seed):
    """`count` new cases over the demo's places, registered across 2024-11..2025-12, closed,
    rated, escalated and repeated at random; the last one's deadline is later than any step the
    database has seen (every group's monthly rows then run on to it)."""
    import random
    from datetime import timedelta

    rng = random.Random(seed)
    with engine.connect() as conn:
        towns = [r[0] for r in conn.execute(text(
            "SELECT name FROM regions WHERE level = 'township' ORDER BY code"))]
        units = [r[0] for r in conn.execute(text("SELECT name FROM units ORDER BY id"))]
        categories = [r[0] for r in conn.execute(text(
            "SELECT DISTINCT category FROM cases ORDER BY category"))]
    people = [f"5303021990{k:04d}{rng.randint(1000, 9999)}" for k in range(count // 4)]
    rows = []
    for k in range(count):
        received = date(2024, 11, 1) + timedelta(days=rng.randint(0, 425))
        accepted = received + timedelta(days=rng.randint(0, 20))
        closed = received + timedelta(days=rng.randint(3, 120))
        closed = closed if closed <= date(2025, 12, 31) and rng.random() < 0.8 else None
        accepted = accepted if accepted <= date(2025, 12, 31) else None
        rows.append([
            f"NEW-{seed}-{k:05d}", received.isoformat(), rng.choice(["来信", "来访", "网上信访", "电话"]),
            rng.choice([1, 1, 1, 2, 6]), rng.choice(["", "", "", "到市", "到省", "进京"]),
            rng.choice(["是", "否", "否"]), rng.choice(categories), rng.choice(towns),
            rng.choice(units + [""]), accepted.isoformat() if accepted else "",
            (received + timedelta(days=60)).isoformat() if rng.random() < 0.9 else "",
            closed.isoformat() if closed else "",
            rng.choice(["满意", "基本满意", "不满意", ""]) if closed else "",
            rng.choice(people) if rng.random() < 0.7 else ""])
    rows[-1][1], rows[-1][9:12] = "2025-12-30", ["2025-12-31", "2027-06-30", ""]
    return rows


def assert_rollups_exact(engine, as_of_days):
    for as_of in as_of_days:
        start = date(as_of.year - 1, as_of.month, 1)
        for by in GROUPINGS:
            assert_same(engine, all_months(start.strftime("%Y-%m"), as_of.strftime("%Y-%m"),
                                           as_of), by)


def test_import_into_existing_cases_keeps_rollups_exact(demo_engine):
    """A year's list imported into a database that has cases: the new cases are added to the
    rollups, the months of changed cases recomputed; every figure equals the direct count, and
    the tables equal a full recomputation row by row."""
    from datetime import timedelta

    as_of = date(2025, 12, 31)
    with demo_engine.connect() as conn:
        before = conn.execute(text("SELECT COUNT(*) FROM cases")).scalar()
        old = conn.execute(text(
            "SELECT c.case_no, c.received_on, c.category, r.name FROM cases c "
            "JOIN regions r ON r.code = c.township_code WHERE c.closed_on IS NULL "
            "ORDER BY c.case_no LIMIT 3")).fetchall()
    rows = year_of_cases(demo_engine, 400, seed=5)
    # Three cases already there: closed and rated; moved to another month; only re-listed.
    (no_a, day_a, cat_a, town_a), (no_b, day_b, cat_b, town_b), (no_c, day_c, cat_c, town_c) = old
    day_a, day_b, day_c = (rollups.as_date(d) for d in (day_a, day_b, day_c))
    rows += [
        [no_a, day_a.isoformat(), "来访", 1, "", "否", cat_a, town_a, "", day_a.isoformat(), "",
         min(day_a + timedelta(days=9), as_of).isoformat(), "不满意", ""],
        [no_b, (day_b - timedelta(days=40)).isoformat(), "来信", 3, "到省", "是", cat_b, town_b,
         "", "", "", "", "", ""],
        [no_c, day_c.isoformat(), "电话", 1, "", "否", cat_c, town_c, "", "", "", "", "", ""],
    ]
    result = import_rows(demo_engine, rows, as_of)
    assert (result.inserted, result.updated) == (400, 3)
    with demo_engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM cases")).scalar() == before + 400
    assert_rollups_exact(demo_engine, [as_of, date(2025, 6, 17), date(2025, 2, 28)])
    # The same list again with one evaluation changed: that case's month is recomputed.
    rated = next(r for r in rows if r[12] == "满意")
    rated[12] = "不满意"
    again = import_rows(demo_engine, rows, as_of)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 403)
    assert_rollups_exact(demo_engine, [as_of, date(2025, 7, 31)])
    kept = snapshot(demo_engine)
    rollups.rebuild_all(demo_engine)
    assert snapshot(demo_engine) == kept


def test_new_cases_outside_the_held_months_merge_into_the_arrivals(demo_engine):
    """New cases only, none of the database's months recomputed: one registered two months after
    the last month the tables hold (every pair's running total is carried into the new months),
    one years before the first, the rest among them. Only the new cases are read for the
    arrivals; the tables equal a full recomputation row by row, the figures the direct counts."""
    rows = year_of_cases(demo_engine, 60, seed=9)
    rows[0][1], rows[0][9:13] = "2026-02-10", ["", "", "", ""]
    rows[1][1], rows[1][9:13] = "2021-05-05", ["2021-05-06", "", "2021-06-01", "满意"]
    with demo_engine.connect() as conn:
        held = rollups.as_date(conn.execute(text("SELECT MAX(month) FROM rollup_arrivals_monthly")).scalar())
    assert held == date(2025, 12, 1)
    read = []

    def counting(conn, cursor, statement, *args):  # the statements reading cases for the arrivals
        if "arrival_steps" in statement and "FROM cases c" in statement:
            read.append(statement)

    from sqlalchemy import event
    event.listen(demo_engine, "before_cursor_execute", counting)
    try:
        result = import_rows(demo_engine, rows, date(2026, 2, 28))
    finally:
        event.remove(demo_engine, "before_cursor_execute", counting)
    assert (result.inserted, result.updated) == (60, 0)
    assert read and all("c.batch_id" in statement for statement in read)
    with demo_engine.connect() as conn:
        assert rollups.as_date(conn.execute(text(
            "SELECT MAX(month) FROM rollup_arrivals_monthly")).scalar()) == date(2026, 2, 1)
    assert_rollups_exact(demo_engine, [date(2026, 2, 28), date(2025, 12, 31), date(2021, 5, 31)])
    kept = snapshot(demo_engine)
    rollups.rebuild_all(demo_engine)
    assert snapshot(demo_engine) == kept


def test_daily_steps_migration_both_ways(demo_engine):
    """Revision 0010: downgraded, rollup_daily holds the running total from the month's first day
    on every day from a group's first step in the month to the month's end (as before 0010);
    upgraded again, each day's steps as the rollups compute them, row for row."""
    from datetime import timedelta

    from alembic import command
    from alembic.config import Config

    from data.database import MIGRATIONS_DIR, migrate
    from data.schema import ROLLUP_MEASURES

    steps_before = snapshot(demo_engine)[0]
    expected = {}
    groups: dict = {}
    for row in steps_before:
        cube, day, month, county, member, *values = row
        day = rollups.as_date(day)
        groups.setdefault((cube, month, county, member, day.replace(day=1)), []).append((day, values))
    for (cube, month, county, member, first_of_month), days in groups.items():
        days.sort()
        total = [0] * len(ROLLUP_MEASURES)
        day, k = days[0][0], 0
        while day.month == first_of_month.month:
            while k < len(days) and days[k][0] == day:
                total = [a + b for a, b in zip(total, days[k][1])]
                k += 1
            expected[(cube, day, rollups.as_date(month), county, member)] = tuple(total)
            day += timedelta(days=1)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with demo_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0009")
    with demo_engine.connect() as conn:
        running = {(r[0], rollups.as_date(r[1]), rollups.as_date(r[2]), r[3], r[4]): tuple(r[5:])
                   for r in conn.execute(text("SELECT * FROM rollup_daily"))}
    assert len(expected) > 2 * len(steps_before)
    assert running == expected
    migrate(demo_engine)
    assert snapshot(demo_engine)[0] == steps_before
    # A database whose rollups were never computed (0002 made them empty): computed by 0010.
    everything = snapshot(demo_engine)
    with demo_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0009")
        for table in ("rollup_daily", "rollup_monthly", "rollup_grid", "rollup_arrivals",
                      "rollup_arrivals_monthly"):
            conn.execute(text(f"DELETE FROM {table}"))
    migrate(demo_engine)
    assert snapshot(demo_engine) == everything
