"""Two imports at once: the second waits for the first (told so), then both end right; the rollups
equal a full recomputation. SQLite and PostgreSQL."""
import threading
import time

import pytest
from sqlalchemy import text

from data import rollups
from data.importing.batches import WAITING_MESSAGE, Source, import_transaction, list_batches
from data.importing.cases import plan_import, write_plan
from data.importing.checks import ImportRefused
from data.importing.reading import read_table
from tests.test_import import TODAY, count, csv
from tests.test_rollups import snapshot


@pytest.fixture()
def places(empty_engine):
    from tests.fixture_cases import load_places

    with empty_engine.begin() as conn:
        load_places(conn)
    return empty_engine


def case_file(prefix: str, n: int, town: str) -> bytes:
    return csv([[f"{prefix}-{i:05d}", f"2025-0{1 + i % 5}-{1 + i % 28:02d}", "来访", 1 + i % 3, town,
                 "城乡建设", "", f"2025-0{6 + i % 3}-01", "", "否", "", "满意" if i % 4 else "",
                 "", f"53030219900101{i % 97:04d}"] for i in range(n)])


def planned(engine, content, name):
    plan = plan_import(engine, read_table(content, name), today=TODAY)
    assert plan.ok, [p.text() for p in plan.problems[:3]]
    return plan, Source.of(name, content, "cli")


def test_two_imports_at_once_both_end_right(places):
    files = {"a.csv": case_file("A", 3000, "一镇"), "b.csv": case_file("B", 3000, "100200001")}
    plans = {name: planned(places, content, name) for name, content in files.items()}
    told: list[str] = []
    errors: list[BaseException] = []
    results = {}

    def run(name):
        try:
            plan, source = plans[name]
            results[name] = write_plan(places, plan, source, told.append)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(name,)) for name in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    assert results["a.csv"].inserted == results["b.csv"].inserted == 3000
    assert count(places) == 6000
    assert sorted(b.file_name for b in list_batches(places)) == ["a.csv", "b.csv"]
    kept = snapshot(places)
    rollups.rebuild_all(places)
    assert snapshot(places) == kept


def test_the_second_import_waits_with_a_message(places, monkeypatch):
    plan, source = planned(places, case_file("W", 50, "一镇"), "w.csv")
    told: list[str] = []
    finished = threading.Event()
    outcome = {}

    def second():
        try:
            outcome["result"] = write_plan(places, plan, source, told.append)
        except BaseException as exc:  # noqa: BLE001
            outcome["error"] = exc
        finished.set()

    with import_transaction(places):       # an import holding the lock
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(2)
        assert told == [WAITING_MESSAGE] and not finished.is_set() and count(places) == 0
    assert finished.wait(120)
    assert "error" not in outcome and outcome["result"].inserted == 50 and count(places) == 50


def test_told_to_retry_when_the_first_takes_too_long(places, monkeypatch):
    from data.importing import batches

    monkeypatch.setattr(batches, "LOCK_WAIT_SECONDS", 1)
    plan, source = planned(places, case_file("T", 10, "一镇"), "t.csv")
    outcome = {}

    def second():
        try:
            write_plan(places, plan, source)
        except ImportRefused as exc:
            outcome["message"] = str(exc)

    with import_transaction(places):
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(60)
    assert outcome["message"] == "另一项导入已写入超过 1 秒仍未完成，本次未写入任何数据，请稍后重试。"
    assert count(places) == 0 and count(places, "import_batches") == 0


def test_pages_read_while_an_import_writes(places):
    """Reads are not blocked by the import lock."""
    from queries.reference import region_list
    from queries.scope import EVERYTHING

    with import_transaction(places) as conn:
        conn.execute(text("UPDATE settings SET value = value WHERE key = 'none'"))
        started = time.monotonic()
        assert len(region_list(places, "township", EVERYTHING)) == 3
        assert time.monotonic() - started < 5
