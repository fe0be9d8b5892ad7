"""The import page reads an uploaded file once (reruns reuse it by its SHA-256), lists the batches
and undoes one; demo removal keeps the office's own cases."""
from sqlalchemy import text

from data.importing import reading
from tests.test_import import ROWS, places_database, xlsx
from tests.signin import add_admin
from tests.test_pages import run_app


def test_file_read_once_across_reruns(tmp_path, monkeypatch):
    url, engine = places_database(tmp_path, "once.db")
    add_admin(engine)
    monkeypatch.setenv("DATABASE_URL", url)
    reads = []
    original = reading.in_child
    monkeypatch.setattr(reading, "in_child", lambda *a: reads.append(a[0]) or original(*a))
    at = run_app("pages/data_import.py")
    at.get("file_uploader")[0].set_value(("cases.xlsx", xlsx(ROWS), "application/octet-stream")).run()
    assert "3 件可以导入" in at.info[-1].value and reads == ["rows"]
    at.selectbox(key="map_summary").select("（不导入）").run()   # a change of mapping: no re-read
    at.run()
    assert not at.exception and reads == ["rows"]
    at.button(key="do_import").click().run()
    assert "导入完成（第 1 批）：新增 3 件" in at.success[-1].value and reads == ["rows"]
    # A different file is read.
    at.get("file_uploader")[0].set_value(("other.xlsx", xlsx(ROWS[:1]), "application/octet-stream")).run()
    assert reads == ["rows", "rows"]


def test_batches_listed_and_undone_on_the_page(tmp_path, monkeypatch):
    url, engine = places_database(tmp_path, "undo.db")
    add_admin(engine)
    monkeypatch.setenv("DATABASE_URL", url)
    at = run_app("pages/data_import.py")
    at.get("file_uploader")[0].set_value(("cases.xlsx", xlsx(ROWS), "application/octet-stream")).run()
    at.button(key="do_import").click().run()
    at.session_state["import_section"] = "导入记录"  # that tab clicked: only it is built
    at.run()
    history = at.dataframe[-1].value
    assert list(history["文件"]) == ["cases.xlsx"] and list(history["导入人"]) == ["city"]
    assert list(history["状态"]) == ["有效"] and list(history["行数"]) == [3]
    assert at.button(key="do_undo").disabled
    at.checkbox(key="confirm_undo").check().run()
    at.button(key="do_undo").click().run()
    assert "已撤销第 1 批：删除 4 条" in at.success[-1].value
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM cases")).scalar() == 0


def test_demo_removal_on_the_page_keeps_imported_cases(tmp_path, monkeypatch):
    from data.database import make_engine
    from data.demo import generate
    from data.importing.cases import plan_import, write_plan
    from data.importing.reading import read_table
    from tests.test_import import TODAY, csv

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    engine = make_engine(url)
    generate(engine, profile="county", cases=300, seed=2, end=TODAY)
    with engine.connect() as conn:
        town = conn.execute(text("SELECT name FROM regions WHERE level = 'township'")).scalar()
    real = csv([["R-1", "2025-03-05", "来访", 1, town, "城乡建设", "", "", "", "否", "", "", "", ""]])
    write_plan(engine, plan_import(engine, read_table(real, "r.csv"), today=TODAY))
    add_admin(engine)
    monkeypatch.setenv("DATABASE_URL", url)
    at = run_app("pages/data_import.py")
    assert any("当前数据库中有演示信访件" in m.value for m in at.markdown)
    at.checkbox(key="confirm_remove_demo").check().run()
    assert any("将清除 **300 件**演示信访件" in m.value for m in at.markdown)
    at.button(key="remove_demo").click().run()
    assert "已清除 300 件演示信访件" in at.success[0].value
    at.run()
    assert not [b for b in at.button if b.key == "remove_demo"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT case_no FROM cases")).fetchall() == [("R-1",)]


def test_hostile_upload_refused_on_the_page(tmp_path, monkeypatch):
    from tests.test_hostile_files import HEADER_ROW, sheet, sheet_xlsx

    url, engine = places_database(tmp_path, "hostile.db")
    add_admin(engine)
    monkeypatch.setenv("DATABASE_URL", url)
    at = run_app("pages/data_import.py")
    bomb = sheet_xlsx(sheet(HEADER_ROW + "<!--" + "0" * (40 * 2**20) + "-->"))
    at.get("file_uploader")[0].set_value(("bomb.xlsx", bomb, "application/octet-stream")).run()
    assert not at.exception
    shown = at.error[0].value.replace("\\", "")  # as the user reads it (Markdown escapes removed)
    assert shown.startswith("文件 bomb.xlsx 无法导入：内部数据的压缩比异常")
    assert not [b for b in at.button if b.key == "do_import"]


def test_every_import_is_audited_checked_written_rejected(tmp_path, monkeypatch):
    from tests.test_hostile_files import HEADER_ROW, sheet, sheet_xlsx

    url, engine = places_database(tmp_path, "audit.db")
    add_admin(engine)
    monkeypatch.setenv("DATABASE_URL", url)
    at = run_app("pages/data_import.py")
    at.get("file_uploader")[0].set_value(("cases.xlsx", xlsx(ROWS), "application/octet-stream")).run()
    at.run()  # a rerun is not a second check
    at.button(key="do_import").click().run()
    bomb = sheet_xlsx(sheet(HEADER_ROW + "<!--" + "0" * (40 * 2**20) + "-->"))
    at.get("file_uploader")[0].set_value(("bomb.xlsx", bomb, "application/octet-stream")).run()
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT username, action, target, result FROM audit_log WHERE action "
                                 "LIKE 'import%' ORDER BY id")).fetchall()
    assert [tuple(r) for r in rows] == [("city", "import_check", "cases.xlsx", "成功"),
                                        ("city", "import_write", "cases.xlsx", "成功"),
                                        ("city", "import_reject", "bomb.xlsx", "拒绝")]
