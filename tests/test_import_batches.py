"""Real data is never deleted by mistake: demo cases are marked in the database and only they are
removed; every import is a batch (file, SHA-256, rows, time, who) that can be undone as a whole
while no later batch depends on it; rollups stay exact. SQLite and PostgreSQL."""
import subprocess
import sys
from datetime import date

import pytest
from sqlalchemy import text

from data import rollups
from data.database import PROJECT_DIR
from data.importing.batches import Source, list_batches, remove_demo_cases, undo_batch
from data.importing.cases import plan_import, write_plan
from data.importing.checks import ImportRefused
from data.importing.lists import EVALUATION_LIST, plan_list, write_list
from data.importing.reading import read_table
from tests.test_import import HEADER, ROWS, TODAY, count, csv, places_database, xlsx
from tests.test_rollups import snapshot


def scalar(engine, sql):
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


def assert_rollups_exact(engine):
    kept = snapshot(engine)
    rollups.rebuild_all(engine)
    assert snapshot(engine) == kept


def real_rows(engine, n=10):
    """n real cases in the demo's townships, registered in 2025."""
    with engine.connect() as conn:
        town = conn.execute(text("SELECT name FROM regions WHERE level = 'township' ORDER BY code")).scalar()
    return [[f"REAL-{i:03d}", f"2025-03-{i + 1:02d}", "来访", 1, town, "城乡建设", "", "", "", "否", "",
             "", "真实的人", f"5303021990010{i:05d}"] for i in range(n)]


def test_demo_removal_keeps_real_cases_and_exact_rollups(empty_engine):
    from data.demo import generate

    generate(empty_engine, profile="county", cases=600, seed=3, end=date(2025, 6, 30))
    content = csv(real_rows(empty_engine))
    plan = plan_import(empty_engine, read_table(content, "real.csv"), today=TODAY)
    assert plan.ok, [p.text() for p in plan.problems]
    write_plan(empty_engine, plan, Source.of("real.csv", content, "cli"))
    # The settings now say "real" (as after any import); the removal still finds the demo.
    assert scalar(empty_engine, "SELECT value FROM settings WHERE key = 'data_source'") == "real"
    assert remove_demo_cases(empty_engine) == 600
    assert count(empty_engine) == 10
    assert scalar(empty_engine, "SELECT COUNT(*) FROM cases WHERE case_no LIKE 'REAL-%'") == 10
    assert count(empty_engine, "key_cases") == 0 and count(empty_engine, "case_events") == 0
    assert count(empty_engine, "regions") > 0
    assert_rollups_exact(empty_engine)
    assert remove_demo_cases(empty_engine) == 0  # nothing left to remove, the real cases stay
    assert count(empty_engine) == 10


def test_every_import_is_a_batch_undone_as_a_whole(empty_engine):
    from tests.fixture_cases import load_places

    with empty_engine.begin() as conn:
        load_places(conn)
    first = xlsx(ROWS)
    write_plan(empty_engine, plan_import(empty_engine, read_table(first, "first.xlsx"), today=TODAY),
               Source.of("first.xlsx", first, "页面"))
    later = [list(r) for r in ROWS]
    later[1][8] = "2025-04-20"  # X-002 closed since
    second = xlsx(later)
    result = write_plan(empty_engine, plan_import(empty_engine, read_table(second, "second.xlsx"),
                                                  today=TODAY), Source.of("second.xlsx", second))
    assert (result.inserted, result.updated) == (0, 1)
    evaluations = "信访件编号,评价日期,评价结果\nX-003,2025-04-01,不满意\n".encode()
    write_list(empty_engine, plan_list(empty_engine, read_table(evaluations, "e.csv"),
                                       EVALUATION_LIST, TODAY), EVALUATION_LIST,
               Source.of("e.csv", evaluations, "cli"))
    batches = list_batches(empty_engine)
    assert [(b.kind, b.file_name, b.row_count, b.created_by) for b in batches] == [
        ("evaluations", "e.csv", 1, "cli"), ("cases", "second.xlsx", 3, "cli"),
        ("cases", "first.xlsx", 3, "页面")]
    import hashlib
    assert batches[2].file_sha256 == hashlib.sha256(first).hexdigest()
    with empty_engine.connect() as conn:
        marked = conn.execute(text("SELECT case_no, batch_id FROM cases ORDER BY case_no")).fetchall()
    assert [(n, b) for n, b in marked] == [("X-001", batches[2].id), ("X-002", batches[1].id),
                                           ("X-003", batches[2].id)]
    # The first batch: later batches wrote its cases.
    with pytest.raises(ImportRefused, match=f"之后的第 {batches[1].id} 批导入又写入了其中的信访件"):
        undo_batch(empty_engine, batches[2].id)
    # Newest first: the evaluation list, then the update, then the first import.
    undo_batch(empty_engine, batches[0].id)
    assert scalar(empty_engine, "SELECT COUNT(*) FROM evaluations WHERE case_no = 'X-003'") == 0
    done = undo_batch(empty_engine, batches[1].id)
    assert (done.removed, done.restored) == (0, 2)  # X-002, and X-001's evaluation rewritten
    assert scalar(empty_engine, "SELECT status FROM cases WHERE case_no = 'X-002'") != "已办结"
    assert_rollups_exact(empty_engine)
    with pytest.raises(ImportRefused, match="撤销过"):
        undo_batch(empty_engine, batches[1].id)
    done = undo_batch(empty_engine, batches[2].id)
    assert done.removed == 4 and count(empty_engine) == 0 and count(empty_engine, "evaluations") == 0
    assert count(empty_engine, "rollup_daily") == 0 and count(empty_engine, "rollup_petitioners") == 0
    with pytest.raises(ImportRefused, match="没有编号为 999 的导入批次"):
        undo_batch(empty_engine, 999)


def test_demo_batch_cannot_be_undone(tmp_path):
    from data.database import make_engine
    from data.demo import generate

    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    generate(engine, profile="county", cases=200, seed=1, end=TODAY)
    demo = list_batches(engine)[0]
    assert demo.is_demo and demo.row_count == 200
    with pytest.raises(ImportRefused, match="清除演示数据"):
        undo_batch(engine, demo.id)


def test_migration_marks_an_all_demo_database(tmp_path):
    """A database made before batches: its cases are demo when the settings say so."""
    from alembic import command
    from alembic.config import Config

    from data.database import MIGRATIONS_DIR, make_engine, migrate
    from data.demo import generate

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    generate(engine, profile="county", cases=300, seed=1, end=TODAY)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0008")
    migrate(engine)
    assert scalar(engine, "SELECT COUNT(*) FROM cases WHERE batch_id IN "
                          "(SELECT id FROM import_batches WHERE is_demo)") == 300
    assert remove_demo_cases(engine) == 300


def test_cli_list_undo_and_demo_remove(tmp_path):
    from data.database import make_engine
    from data.demo import generate

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    generate(engine, profile="county", cases=300, seed=1, end=TODAY)
    real = tmp_path / "real.csv"
    real.write_bytes(csv(real_rows(engine, 5)))

    def run(*args):
        return subprocess.run([sys.executable, "cli.py", *args, "--url", url], cwd=PROJECT_DIR,
                              capture_output=True, text=True, timeout=180)

    done = run("import", str(real), "--who", "张科长")
    assert done.returncode == 0 and "导入完成（第 2 批）：新增 5 件" in done.stdout, done.stderr
    listed = run("import", "--list")
    assert listed.returncode == 0
    first = listed.stdout.splitlines()[0].split("\t")
    assert first[0] == "2" and first[2:6] == ["信访件清单", "real.csv", "5 行", "张科长"]
    removed = run("demo", "--remove")
    assert removed.returncode == 0 and "已清除 300 件演示信访件" in removed.stdout
    assert count(engine) == 5
    refused = run("import", "--undo", "1")
    assert refused.returncode == 1 and "演示数据不能撤销" in refused.stderr
    undone = run("import", "--undo", "2")
    assert undone.returncode == 0 and "已撤销第 2 批（信访件清单）：删除 5 条" in undone.stdout
    assert count(engine) == 0


def test_read_only_database_explained(tmp_path):
    from data.database import make_engine
    from data.demo import generate

    path = tmp_path / "ro.db"
    generate(make_engine(f"sqlite:///{path}"), profile="county", cases=200, seed=1, end=TODAY)
    read_only = make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    with pytest.raises(ImportRefused, match="数据库是只读的"):
        remove_demo_cases(read_only)
    content = csv(real_rows(read_only, 2))
    plan = plan_import(read_only, read_table(content, "r.csv"), today=TODAY)
    assert plan.ok
    with pytest.raises(ImportRefused, match="数据库是只读的"):
        write_plan(read_only, plan)
    assert count(read_only) == 200


def test_region_and_boundary_batches_undone_in_order(empty_engine):
    import json

    from data.importing.boundaries import plan_boundaries, write_boundaries
    from data.importing.regions import plan_regions, write_regions
    from tests.fixture_cases import load_places
    from tests.test_import import REGION_HEADER, REGION_ROWS, region_snapshot

    with empty_engine.begin() as conn:
        load_places(conn)
    before = region_snapshot(empty_engine)
    write_regions(empty_engine, plan_regions(empty_engine, read_table(
        xlsx(REGION_ROWS, header=REGION_HEADER), "regions.xlsx")))
    square = [[103.6, 25.3], [103.7, 25.3], [103.7, 25.4], [103.6, 25.4], [103.6, 25.3]]
    geo = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "新城街道"},
         "geometry": {"type": "Polygon", "coordinates": [square]}}]}).encode()
    assert write_boundaries(empty_engine, plan_boundaries(empty_engine, geo, "name", None, False)) == 1
    regions_batch, boundary_batch = sorted(b.id for b in list_batches(empty_engine))
    with pytest.raises(ImportRefused, match="又写入了其中的区划或单位"):
        undo_batch(empty_engine, regions_batch)
    undo_batch(empty_engine, boundary_batch)
    assert scalar(empty_engine, "SELECT boundary FROM regions WHERE code = '100100003'") is None
    undo_batch(empty_engine, regions_batch)
    assert region_snapshot(empty_engine) == before


def test_rows_are_written_exactly_as_given(empty_engine):
    """insert_rows (COPY on PostgreSQL): text with tabs, line breaks, backslashes, quotes and
    what COPY reads as a null marker, missing values, dates and flags come back as they went in;
    rows of different columns are written too."""
    from data import schema
    from data.importing.batches import insert_rows

    hard = "第一行\t制表\n第二行 \\N 反斜杠\\ 引号'\"，=SUM(A1)\r\n"
    rows = [{"case_no": f"COPY-{k}", "received_on": date(2025, 3, k + 1), "channel": "来信",
             "person_count": k + 1, "is_collective": k == 1, "escalation": "本级",
             "is_repeat": False, "category": "城乡建设", "summary": hard if k else None,
             "closed_on": None if k else date(2025, 4, 1), "status": "办理中",
             "petitioner_name": "\\N"} for k in range(3)]
    odd = [{"case_no": "COPY-X", "received_on": date(2025, 3, 9), "channel": "来访",
            "category": "民政", "status": "待受理"},
           {"case_no": "COPY-Y", "received_on": date(2025, 3, 9), "channel": "来访",
            "category": "民政", "status": "待受理", "summary": "另一列"}]
    with empty_engine.begin() as conn:
        insert_rows(conn, schema.cases, rows)
        insert_rows(conn, schema.cases, odd)
    columns = list(rows[0])
    with empty_engine.connect() as conn:
        back = conn.execute(schema.cases.select().where(schema.cases.c.case_no.like("COPY-%"))
                            .order_by(schema.cases.c.case_no)).mappings().all()
    assert [{c: r[c] for c in columns} for r in back[:3]] == rows
    # The table's defaults for the columns a row leaves out, as with an INSERT.
    assert (back[3]["person_count"], back[3]["is_collective"], back[3]["escalation"],
            back[3]["summary"]) == (1, False, "本级", None)
    assert back[4]["summary"] == "另一列"
