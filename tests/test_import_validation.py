""""检查通过" means the write succeeds: every value a database would refuse, or that would make no
sense for its meaning, is a problem found before writing, with the same verdict on SQLite and
PostgreSQL; nothing is written, and no database error or personal data reaches the user."""
from datetime import date

import pytest
from sqlalchemy import text

from data.importing.cases import plan_import, write_plan
from data.importing.checks import ImportRefused
from data.importing.lists import KEY_CASE_LIST, plan_list, write_list
from data.importing.reading import read_table
from tests.test_import import HEADER, ROWS, TODAY, count, csv, xlsx

GOOD = list(ROWS[0])


def row(**changes):
    """The first good row with some cells changed (by header name)."""
    values = list(GOOD)
    for name, value in changes.items():
        values[HEADER.index(name)] = value
    return values


HOSTILE = [
    (row(信访件编号="N-01", 信访人数="inf"), "信访人数", "信访人数应为 1 到 10,000 之间的整数"),
    (row(信访件编号="N-02", 信访人数="1e400"), "信访人数", "信访人数应为 1 到 10,000 之间的整数"),
    (row(信访件编号="N-03", 信访人数="12345678901234567890"), "信访人数", "信访人数应为 1 到 10,000 之间的整数"),
    (row(信访件编号="N-04", 信访人数=3_000_000_000), "信访人数", "信访人数应为 1 到 10,000 之间的整数"),
    (row(信访件编号="N-05", 信访人数="2.5"), "信访人数", "信访人数应为 1 到 10,000 之间的整数"),
    (row(信访件编号="N-06", 信访人数="nan"), "信访人数", "信访人数应为 1 到 10,000 之间的整数"),
    (row(信访件编号="N-07", 登记日期="1900-01-01"), "登记日期", "登记日期早于 1990 年，请核对"),
    (row(信访件编号="N-08", 登记日期="2025-07-05"), "登记日期", "登记日期晚于今天"),
    (row(信访件编号="N-09", 办理期限="2100-01-01"), "办理期限", "办理期限晚于登记日期后 5 年，请核对"),
    (row(信访件编号="N-10", 办理期限="2025-01-01"), "办理期限", "办理期限早于登记日期"),
    (row(信访件编号="N-11", 办结日期="9999-12-31"), "办结日期", "办结日期晚于今天"),
    (row(信访件编号="N-12", 办结日期="2025-03-01"), "办结日期", "办结日期早于登记日期"),
    (row(信访件编号="N-13" + "9" * 40), "信访件编号", "内容过长（44 个字符，最多 40 个）"),
    (row(信访件编号="N-14", 内容分类="城乡\x00建设"), "内容分类", "含有空字符（NUL），请删除后重新导出"),
    (row(信访件编号="N-15", 信访人="王" * 65), "信访人", "内容过长（65 个字符，最多 64 个）"),
    (row(信访件编号="N-16", 身份证号="5" * 33), "身份证号", "内容过长（33 个字符，最多 32 个）"),
]


def plan(engine, rows, name="v.csv"):
    content = csv(rows) if name.endswith(".csv") else xlsx(rows)
    return plan_import(engine, read_table(content, name), today=TODAY)


@pytest.fixture()
def places(empty_engine):
    from tests.fixture_cases import load_places

    with empty_engine.begin() as conn:
        load_places(conn)
    return empty_engine


@pytest.mark.parametrize("name", ["v.csv", "v.xlsx"])
def test_every_hostile_value_found_before_writing(places, name):
    # An .xlsx cannot hold NUL at all (XML forbids it): that row only in the CSV.
    cases = [c for c in HOSTILE if name.endswith(".csv") or "\x00" not in "".join(map(str, c[0]))]
    result = plan(places, [r for r, _c, _m in cases], name)
    found = {(p.row, p.column): p.message for p in result.problems}
    first = 2 if name.endswith(".csv") else 4  # the xlsx has two title rows
    for number, (_r, column, message) in enumerate(cases):
        assert found.get((first + number, column)) == message, (number, found)
    assert len(result.rows) == 0
    with pytest.raises(ImportRefused):
        write_plan(places, result)
    assert count(places) == 0 and count(places, "import_batches") == 0
    # Messages show a value without NUL and at most 60 characters of it.
    texts = [p.text() for p in result.problems]
    assert not any("\x00" in t for t in texts)
    assert any("城乡\\0建设" in t for t in texts) == name.endswith(".csv")


def test_same_verdict_and_the_write_succeeds(places):
    """Values at the edge of every bound pass, and then the write succeeds on this backend."""
    edge = [
        row(信访件编号="E" * 40, 信访人数="10,000", 登记日期="1990-01-01", 办理期限="1994-12-31",
            办结日期="2025-07-01", 信访人="王" * 64, 身份证号="5" * 32),
        row(信访件编号="E-2", 信访人数="2.0", 登记日期="2025-07-01", 办理期限="2030-07-01",
            办结日期=""),
    ]
    result = plan(places, edge)
    assert result.ok, [p.text() for p in result.problems]
    write_plan(places, result)
    with places.connect() as conn:
        stored = conn.execute(text("SELECT case_no, person_count, due_on FROM cases ORDER BY case_no")).fetchall()
    assert [(r[0], r[1], str(r[2])[:10]) for r in stored] == [
        ("E-2", 2, "2030-07-01"), ("E" * 40, 10_000, "1994-12-31")]


def test_key_case_list_bounds(places):
    write_plan(places, plan(places, [GOOD]))
    header = ["信访件编号", "包案领导", "化解时限", "化解进度", "列入日期", "销号日期"]
    rows = [["X-001", "副县长 王某", "2100-01-01", "1e400", "2025-04-01", ""],
            ["X-001", "领" * 65, "2025-07-31", "60", "1980-01-01", "9999-01-01"]]
    result = plan_list(places, read_table(csv(rows, header=header), "k.csv"), KEY_CASE_LIST, TODAY)
    found = {(p.row, p.column): p.message for p in result.problems}
    assert found[(2, "化解时限")] == "化解时限晚于列入日期后 5 年，请核对"
    assert found[(2, "化解进度")] == "化解进度应为 0 到 100 的整数"
    assert found[(3, "包案领导")] == "内容过长（65 个字符，最多 64 个）"
    with pytest.raises(ImportRefused):
        write_list(places, result, KEY_CASE_LIST)
    assert count(places, "key_cases") == 0


def test_database_refusal_is_a_chinese_message_without_personal_data(places, caplog):
    """Should a write still fail in the database, the user gets a Chinese message and the log the
    database's reason, never the row's values."""
    result = plan(places, [row(信访件编号="P-1", 信访人="张三丰", 身份证号="530302199001011234")])
    assert result.ok
    result.rows[0]["channel"] = "x" * 5000  # past the checks: the database itself must refuse
    if places.dialect.name == "sqlite":
        result.rows[0]["unit_id"] = 999_999  # SQLite stores long text; a missing unit it refuses
    with pytest.raises(ImportRefused) as caught:
        write_plan(places, result)
    message = str(caught.value)
    assert message.startswith("导入失败，未写入任何数据（数据库报错，详情已记入服务器日志）")
    for secret in ("张三丰", "530302199001011234", "INSERT", "Traceback"):
        assert secret not in message and secret not in caplog.text
    assert "import" in caplog.text.lower() or "导入" in caplog.text
    assert count(places) == 0 and count(places, "import_batches") == 0


def test_cli_rejects_hostile_values_without_traceback(tmp_path):
    import subprocess
    import sys

    from data.database import PROJECT_DIR
    from tests.test_import import places_database

    url, engine = places_database(tmp_path, "cli.db")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv([r for r, _c, _m in HOSTILE]))
    done = subprocess.run([sys.executable, "cli.py", "import", str(bad), "--url", url],
                          cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "第 2 行「信访人数」列：信访人数应为 1 到 10,000 之间的整数（值：inf）" in done.stderr
    # 16 rows, 18 problems: the row registered after today also has its deadline and closing
    # before its registration.
    assert "文件被拒绝：共 18 个问题，未写入任何数据。" in done.stderr and count(engine) == 0


def test_dates_before_1990_or_after_the_data_day():
    from data.importing.checks import day_problem

    assert day_problem(date(1989, 12, 31), TODAY, "登记日期") == "登记日期早于 1990 年，请核对"
    assert day_problem(date(2025, 7, 1), TODAY, "登记日期") is None        # a day's margin
    assert day_problem(date(2025, 7, 2), TODAY, "登记日期") == "登记日期晚于今天"
