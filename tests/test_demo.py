"""The demo generator: deterministic, the right places, a plausible mix of cases."""
from datetime import date

import pytest
from sqlalchemy import text

from data.demo import generate
from queries.figures import case_figures

from tests.scoping import all_months

END = date(2025, 6, 30)


def scalar(engine, sql):
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


def fingerprint(engine):
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT case_no, received_on, township_code, category, closed_on, petitioner_key "
            "FROM cases ORDER BY case_no")).fetchall()
    return hash(tuple(tuple(str(v) for v in r) for r in rows))


def test_county_profile_places(empty_engine):
    summary = generate(empty_engine, profile="county", cases=3000, seed=7, end=END)
    assert (summary.townships, summary.departments, summary.villages) == (16, 25, 353)
    assert scalar(empty_engine, "SELECT COUNT(*) FROM regions WHERE level = 'township'") == 16
    assert scalar(empty_engine, "SELECT COUNT(*) FROM units WHERE kind = 'department'") == 25
    assert scalar(empty_engine, "SELECT COUNT(*) FROM regions WHERE level = 'village'") == 353
    assert scalar(empty_engine, "SELECT name FROM regions WHERE code = '410327'") == "宜阳县"
    assert scalar(empty_engine, "SELECT COUNT(*) FROM cases") == 3000
    assert scalar(empty_engine, "SELECT value FROM settings WHERE key = 'data_source'") == "demo"
    # Every case's township and unit exist; every evaluation is of a closed case.
    assert scalar(empty_engine, "SELECT COUNT(*) FROM cases c LEFT JOIN regions r ON "
                                "r.code = c.township_code WHERE r.code IS NULL") == 0
    assert scalar(empty_engine, "SELECT COUNT(*) FROM evaluations e JOIN cases c ON "
                                "c.case_no = e.case_no WHERE c.closed_on IS NULL "
                                "OR e.evaluated_on < c.closed_on") == 0


def test_deterministic_for_a_seed(tmp_path):
    from data.database import make_engine

    engines = [make_engine(f"sqlite:///{tmp_path / f'{i}.db'}") for i in range(3)]
    for engine, seed in zip(engines, (11, 11, 12)):
        generate(engine, profile="county", cases=2000, seed=seed, end=END)
    prints = [fingerprint(e) for e in engines]
    assert prints[0] == prints[1] != prints[2]


def test_regenerating_replaces_demo_but_never_real_data(tmp_path):
    from sqlalchemy import text

    from data.database import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'd.db'}")
    generate(engine, profile="county", cases=500, seed=1, end=END)
    generate(engine, profile="county", cases=800, seed=1, end=END)
    assert scalar(engine, "SELECT COUNT(*) FROM cases") == 800
    with engine.begin() as conn:  # one case not written by the demo: real
        conn.execute(text("UPDATE cases SET batch_id = NULL WHERE id = (SELECT MIN(id) FROM cases)"))
    with pytest.raises(RuntimeError, match="真实数据"):
        generate(engine, profile="county", cases=500, seed=1, end=END)


def test_city_profile_is_a_plausible_qujing(tmp_path):
    from data.database import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'city.db'}")
    summary = generate(engine, end=END)
    assert summary.townships == 137 and summary.cases == 60_000
    per_county = dict(engine.connect().execute(text(
        "SELECT r.name, COUNT(*) FROM regions t JOIN regions r ON r.code = t.parent_code "
        "WHERE t.level = 'township' GROUP BY r.name")).fetchall())
    assert per_county == {"麒麟区": 16, "沾益区": 11, "马龙区": 10, "陆良县": 11, "师宗县": 10,
                          "罗平县": 13, "富源县": 12, "会泽县": 25, "宣威市": 29}
    year = all_months("2024-01", "2024-12", END)
    row = case_figures(engine, year).iloc[0]
    assert 17_000 <= row["case_count"] <= 23_000
    assert 10 <= row["repeat_pct"] <= 15
    assert 93 <= row["satisfaction_pct"] <= 97.5
    assert 90 <= row["ontime_close_pct"] <= 99
    assert 1 <= row["to_beijing_count"] <= 10
    assert row["collective_count"] < row["case_count"] * 0.05
    assert 0 < row["overdue_count"]  # some long-running cases stay open
    assert 80 <= row["participation_pct"] <= 97
    towns = case_figures(engine, year, by="township")
    towns = towns[towns["satisfaction_den"] >= 50]
    assert towns["satisfaction_pct"].min() < 90  # a few clearly worse townships
    keys = scalar(engine, "SELECT COUNT(*) FROM key_cases")
    cleared = scalar(engine, "SELECT COUNT(*) FROM key_cases WHERE cleared_on IS NOT NULL")
    assert keys > 300 and 0 < cleared < keys
    unrated = scalar(engine, "SELECT COUNT(*) FROM cases c LEFT JOIN evaluations e ON "
                             "e.case_no = c.case_no WHERE c.closed_on IS NOT NULL AND e.id IS NULL")
    assert unrated > 1000  # evaluation windows that expired unrated


def test_scale_up_copies_cases_as_other_peoples(empty_engine):
    """The bench's large databases: copies get new case numbers and new petitioners, and the
    rollups count them."""
    from data.demo import scale_up
    from queries import steps

    generate(empty_engine, profile="county", cases=600, seed=3, end=END)
    assert scale_up(empty_engine, 2) == 1800
    with empty_engine.connect() as conn:
        keys = conn.execute(text(
            "SELECT COUNT(*), COUNT(DISTINCT petitioner_key), COUNT(DISTINCT case_no) FROM cases "
            "WHERE petitioner_key IS NOT NULL")).one()
        originals = conn.execute(text(
            "SELECT COUNT(DISTINCT petitioner_key) FROM cases WHERE case_no NOT LIKE '%-_'")).scalar()
    assert keys[1] == 3 * originals and keys[2] == keys[0]
    total = steps.sums_as_of(empty_engine, date(2030, 1, 1), "1 = 1", {})
    assert total["case_count"].iloc[0] == 1800


ROLLUP_TABLES = ("rollup_daily", "rollup_monthly", "rollup_grid", "rollup_arrivals",
                 "rollup_arrivals_monthly", "rollup_petitioners")


def contents(engine, table):
    """A table's rows, in a fixed order, without surrogate ids."""
    with engine.connect() as conn:
        result = conn.execute(text(f"SELECT * FROM {table}"))
        keys = [k for k in result.keys() if k != "id"]
        return sorted(tuple(str(row[k]) for k in keys) for row in result.mappings())


def test_first_start_writes_the_latest_months_then_the_rest_as_in_one_go(empty_engine, tmp_path):
    from data.database import make_engine
    from data.demo import finish_demo, first_start, pending_before

    first_start(empty_engine, today=END)
    assert pending_before(empty_engine) == date(2025, 5, 1)  # the month before June
    assert str(scalar(empty_engine, "SELECT MIN(received_on) FROM cases"))[:10] >= "2025-05-01"
    early = scalar(empty_engine, "SELECT COUNT(*) FROM cases")
    assert 2_000 < early < 4_000  # about two months of the city's demo
    written = finish_demo(empty_engine)
    assert pending_before(empty_engine) is None and finish_demo(empty_engine) == 0
    whole = make_engine(f"sqlite:///{tmp_path / 'whole.db'}")
    generate(whole, end=END)
    assert scalar(whole, "SELECT COUNT(*) FROM cases") == early + written
    assert fingerprint(empty_engine) == fingerprint(whole)
    for table in ("evaluations", "key_cases", "case_events"):
        assert scalar(empty_engine, f"SELECT COUNT(*) FROM {table}") == \
            scalar(whole, f"SELECT COUNT(*) FROM {table}"), table
    if empty_engine.dialect.name == "sqlite":  # same backend: the rollups row for row
        for table in ROLLUP_TABLES:
            assert contents(empty_engine, table) == contents(whole, table), table
    # The figures a user sees, on either backend, equal those of the demo made in one go.
    for by in (None, "township"):
        place = all_months("2023-07", "2025-06", as_of=END)
        assert case_figures(empty_engine, place, by=by).equals(case_figures(whole, place, by=by))
    # Every case written later is a demo case too: demo removal takes them all, and only them.
    for table in ("cases", "evaluations", "key_cases", "case_events"):
        assert scalar(empty_engine, f"SELECT COUNT(*) FROM {table} WHERE batch_id IS NULL OR batch_id "
                                    "NOT IN (SELECT id FROM import_batches WHERE is_demo)") == 0, table
    assert scalar(empty_engine, "SELECT row_count FROM import_batches WHERE is_demo") == early + written
