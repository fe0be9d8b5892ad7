"""Importing case lists: broken files each get a clear message and write nothing; a clean file is
imported, re-imported with nothing changed, and updated by a later export. SQLite and PostgreSQL."""
import io
from datetime import date

import pandas as pd
import pytest
from openpyxl import Workbook
from sqlalchemy import text

from data.importing.batches import remove_demo_cases
from data.importing.cases import excluding, plan_import, write_plan
from data.importing.checks import ImportRefused, parse_date
from data.importing.reading import read_table

HEADER = ["信访件编号", "登记日期", "信访形式", "信访人数", "问题属地", "内容分类", "责任单位",
          "办理期限", "办结日期", "是否重复件", "越级", "满意度", "信访人", "身份证号"]
ROWS = [
    ["X-001", "2025-03-05", "来访", 1, "一镇", "城乡建设", "一镇", "2025/5/4", "2025年4月1日", "否", "",
     "满意", "王小明", "530302199001011234"],
    ["X-002", "2025/3/6", "网上信访", 2, "100200001", "环境保护", "", "", "", "是", "到省", "",
     "李四", ""],
    ["X-003", 45730, "来信", 1, "二镇", "民政", "市人力资源和社会保障局", 45800, "", "否", "", "",
     "", ""],
]
TODAY = date(2025, 6, 30)


def xlsx(rows, header=HEADER, title=True) -> bytes:
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append(["测试市信访事项登记表"])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        sheet.append(["导出时间：2025-06-30"])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv(rows, encoding="utf-8", header=HEADER) -> bytes:
    frame = pd.DataFrame(rows, columns=header)
    return frame.to_csv(index=False).encode(encoding)


def count(engine, table="cases"):
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()


@pytest.fixture()
def places(empty_engine):
    from tests.fixture_cases import load_places

    with empty_engine.begin() as conn:
        load_places(conn)
    return empty_engine


def places_database(tmp_path, name):
    """A fresh SQLite file with the fixture's places: (url, engine)."""
    from data.database import make_engine, migrate
    from tests.fixture_cases import load_places

    url = f"sqlite:///{tmp_path / name}"
    engine = make_engine(url)
    migrate(engine)
    with engine.begin() as conn:
        load_places(conn)
    return url, engine


def plan(engine, content, name="cases.xlsx"):
    return plan_import(engine, read_table(content, name), today=TODAY)


def test_dates_as_offices_write_them():
    assert parse_date("2024-03-05") == date(2024, 3, 5)
    assert parse_date("2024/3/5") == date(2024, 3, 5)
    assert parse_date("2024年3月5日") == date(2024, 3, 5)
    assert parse_date("2024-03-05 14:30:00") == date(2024, 3, 5)
    assert parse_date(45356) == date(2024, 3, 5)          # Excel serial number
    assert parse_date("45356") == date(2024, 3, 5)
    assert parse_date(pd.Timestamp("2024-03-05 08:00")) == date(2024, 3, 5)
    assert parse_date("") is None
    for bad in ("2024-13-01", "昨天", "2024-02-30"):
        with pytest.raises(ValueError):
            parse_date(bad)


def test_clean_file_imported_then_reimported_unchanged_then_updated(places):
    first = plan(places, xlsx(ROWS))
    assert first.ok, [p.text() for p in first.problems]
    assert first.header_row == 2 and first.mapping["received_on"] == "登记日期"
    result = write_plan(places, first)
    assert (result.inserted, result.updated, result.unchanged) == (3, 0, 0)
    assert count(places) == 3 and count(places, "evaluations") == 1
    with places.connect() as conn:
        row = conn.execute(text("SELECT received_on, township_code, county_code, status, unit_id, "
                                "petitioner_key FROM cases WHERE case_no = 'X-003'")).one()
    assert str(row[0])[:10] == "2025-03-14" and row[1] == "100100002" and row[2] == "100100"
    assert row[4] == 4 and row[5] is None
    again = write_plan(places, plan(places, xlsx(ROWS)))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert count(places) == 3
    later = [list(r) for r in ROWS]
    later[1][8] = "2025-04-20"  # X-002 closed since
    updated = write_plan(places, plan(places, xlsx(later)))
    assert (updated.inserted, updated.updated, updated.unchanged) == (0, 1, 2)
    with places.connect() as conn:
        status = conn.execute(text("SELECT status FROM cases WHERE case_no = 'X-002'")).scalar()
        source = conn.execute(text("SELECT value FROM settings WHERE key = 'data_source'")).scalar()
    assert status == "已办结" and source == "real"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings(places, encoding):
    result = plan(places, csv(ROWS[:2], encoding), "cases.csv")
    assert result.ok and [r["case_no"] for r in result.rows] == ["X-001", "X-002"]


def test_missing_required_column(places):
    header = [h if h != "问题属地" else "备注" for h in HEADER]
    result = plan(places, xlsx(ROWS, header))
    assert not result.ok and result.problems[0].text().startswith("文件「问题属地」列：缺少必需的列")
    with pytest.raises(ImportRefused):
        write_plan(places, result)
    assert count(places) == 0


def test_broken_rows_each_explained_and_nothing_written(places):
    rows = [list(r) for r in ROWS] + [
        ["X-001", "2025-03-07", "来访", 1, "一镇", "城乡建设", "", "", "", "否", "", "", "", ""],
        ["X-005", "2025-02-30", "来访", 1, "一镇", "城乡建设", "", "", "", "否", "", "", "", ""],
        ["X-006", "2025-03-08", "来访", 1, "火星镇", "城乡建设", "", "", "", "否", "", "", "", ""],
        ["X-007", "2025-03-08", "飞鸽传书", "三", "一镇", "城乡建设", "", "", "", "也许", "", "很好", "", ""],
    ]
    result = plan(places, xlsx(rows))
    messages = [p.text() for p in result.problems]
    assert "第 7 行「信访件编号」列：信访件编号与第 4 行重复（值：X-001）" in messages
    assert any(m.startswith("第 8 行「登记日期」列：不是有效日期") for m in messages)
    assert "第 9 行「问题属地」列：问题属地不在本辖区的乡镇（街道）名单中（值：火星镇）" in messages
    assert result.unknown_townships == ["火星镇"]
    bad_row = [m for m in messages if m.startswith("第 10 行")]
    assert len(bad_row) == 4  # channel, person count, repeat flag, satisfaction
    with pytest.raises(ImportRefused):
        write_plan(places, result)
    assert count(places) == 0
    # Excluding the broken rows writes the rest, in one transaction.
    kept = excluding(result, result.problem_rows())
    assert kept.ok and len(kept.rows) == 3
    write_plan(places, kept)
    assert count(places) == 3


def test_unreadable_files(places):
    with pytest.raises(ImportRefused, match="是空的"):
        read_table(b"", "cases.xlsx")
    with pytest.raises(ImportRefused, match="无法读取"):
        read_table(b"this is not a workbook", "cases.xlsx")
    with pytest.raises(ImportRefused, match="不支持的文件类型"):
        read_table(b"abc", "cases.pdf")
    with pytest.raises(ImportRefused, match="编码无法识别"):
        read_table(bytes([0xff, 0xfe, 0xfa, 0x81, 0x30, 0x81]) * 10, "cases.csv")
    with pytest.raises(ImportRefused, match="找不到表头"):
        plan_import(places, read_table("a,b\n1,2\n".encode(), "x.csv"))
    with pytest.raises(ImportRefused, match="没有内容"):
        read_table(b"\n\n\n", "cases.csv")


def test_a_large_file(places):
    rows = [[f"L-{i:06d}", "2025-03-05", "来访", 1, "一镇" if i % 2 else "二镇", "城乡建设", "", "",
             "", "否", "", "", "", ""] for i in range(20_000)]
    rows[15_000][1] = "不是日期"
    result = plan(places, csv(rows), "big.csv")
    assert len(result.problems) == 1 and result.problems[0].row == 15_002
    with pytest.raises(ImportRefused):
        write_plan(places, result)
    assert count(places) == 0
    write_plan(places, excluding(result, result.problem_rows()))
    assert count(places) == 19_999


def test_remove_demo_in_one_step(tmp_path):
    from data.database import make_engine
    from data.demo import generate

    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    generate(engine, profile="county", cases=500, seed=1, end=TODAY)
    assert remove_demo_cases(engine) == 500
    assert count(engine) == 0 and count(engine, "key_cases") == 0
    assert count(engine, "regions") > 0


def test_cli_import(tmp_path):
    import subprocess
    import sys

    from data.database import PROJECT_DIR

    url, engine = places_database(tmp_path, "cli.db")
    good, bad = tmp_path / "good.xlsx", tmp_path / "bad.csv"
    good.write_bytes(xlsx(ROWS))
    bad.write_bytes(csv(ROWS + [["X-009", "2025-13-01", "来访", 1, "一镇", "城乡建设", "", "", "",
                                 "否", "", "", "", ""]], "gbk"))

    def run(*args):
        return subprocess.run([sys.executable, "cli.py", "import", *args, "--url", url],
                              cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)

    rejected = run(str(bad))
    assert rejected.returncode == 1 and "第 5 行「登记日期」列" in rejected.stderr
    assert "未写入任何数据" in rejected.stderr and count(engine) == 0
    dry = run(str(good), "--dry-run")
    assert dry.returncode == 0 and "3 件可以导入" in dry.stdout and count(engine) == 0
    done = run(str(good))
    assert done.returncode == 0 and "新增 3 件" in done.stdout and count(engine) == 3
    again = run(str(good))
    assert "未变 3 件" in again.stdout and count(engine) == 3
    missing = run(str(tmp_path / "nope.xlsx"))
    assert missing.returncode == 2 and "文件不存在" in missing.stderr


def test_evaluation_and_key_case_lists(places):
    from data.importing.lists import EVALUATION_LIST, KEY_CASE_LIST, plan_list, write_list

    write_plan(places, plan(places, xlsx(ROWS)))
    evaluations = [["X-002", "2025-04-25", "微信", "不满意"], ["X-003", "2025年4月1日", "电话", "满意"]]
    header = ["信访件编号", "回访日期", "评价方式", "评价结果"]
    result = plan_list(places, read_table(csv(evaluations, header=header), "e.csv"),
                       EVALUATION_LIST, TODAY)
    assert result.ok and [r["method"] for r in result.rows] == ["微信", "电话回访"]
    write_list(places, result, EVALUATION_LIST)
    assert count(places, "evaluations") == 3  # X-001 came with the case list
    bad = plan_list(places, read_table(csv([["X-404", "2025-04-25", "微信", "还行"]], header=header),
                                       "e.csv"), EVALUATION_LIST, TODAY)
    assert {p.message for p in bad.problems} == {"数据库中没有这个信访件（请先导入信访件清单）",
                                                  "评价结果应为满意、基本满意或不满意"}
    keys = [["X-001", "副县长 王某某", "限期化解", "2025-07-31", "60%", "化解中", ""],
            ["X-002", "县委常委 李某某", "", "2025-06-01", "100", "已销号", "2025-05-20"]]
    key_header = ["信访件编号", "包案领导", "工作要求", "化解时限", "化解进度", "阶段", "销号日期"]
    key_plan = plan_list(places, read_table(xlsx(keys, key_header, title=False), "k.xlsx"),
                         KEY_CASE_LIST, TODAY)
    assert key_plan.ok, [p.text() for p in key_plan.problems]
    write_list(places, key_plan, KEY_CASE_LIST)
    again = write_list(places, key_plan, KEY_CASE_LIST)
    assert count(places, "key_cases") == 2 and again.updated == 2
    with places.connect() as conn:
        progress = conn.execute(text("SELECT progress_pct FROM key_cases WHERE case_no = 'X-001'")).scalar()
    assert progress == 60


def test_gcj02_round_trip():
    from data.importing.coordinates import gcj02_to_wgs84, wgs84_to_gcj02

    lon, lat = 103.7960, 25.4900
    shifted = wgs84_to_gcj02(lon, lat)
    assert 0.001 < abs(shifted[0] - lon) + abs(shifted[1] - lat) < 0.02   # hundreds of metres
    back = gcj02_to_wgs84(*shifted)
    assert abs(back[0] - lon) < 1e-6 and abs(back[1] - lat) < 1e-6
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)                    # outside China: as is


def test_township_boundaries_replace_schematic_areas(places):
    import json

    from data.importing.boundaries import plan_boundaries, write_boundaries
    from data.importing.coordinates import wgs84_to_gcj02

    square = [[103.60, 25.30], [103.70, 25.30], [103.70, 25.40], [103.60, 25.40], [103.60, 25.30]]
    shifted = [list(wgs84_to_gcj02(x, y)) for x, y in square]
    geojson = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"NAME": "一镇", "CODE": ""},
         "geometry": {"type": "Polygon", "coordinates": [shifted]}},
        {"type": "Feature", "properties": {"NAME": "", "CODE": "100200001000"},
         "geometry": {"type": "Polygon", "coordinates": [shifted]}},
        {"type": "Feature", "properties": {"NAME": "月亮镇", "CODE": "999"},
         "geometry": {"type": "Polygon", "coordinates": [shifted]}},
    ]}
    result = plan_boundaries(places, json.dumps(geojson).encode(), "NAME", "CODE", gcj02=True)
    assert set(result.matched) == {"100100001", "100200001"}
    assert result.unmatched == ["月亮镇"] and result.missing == ["二镇"]
    assert write_boundaries(places, result) == 2
    with places.connect() as conn:
        row = conn.execute(text("SELECT boundary, boundary_schematic, lon FROM regions "
                                "WHERE code = '100100001'")).one()
    ring = json.loads(row[0])["coordinates"][0]
    assert abs(ring[0][0] - 103.60) < 1e-5 and not row[1] and 103.6 < row[2] < 103.7
    broken = plan_boundaries(places, b"{not json", "NAME", "CODE", gcj02=False)
    assert broken.problems and "GeoJSON" in broken.problems[0].message


REGION_HEADER = ["区划代码", "名称", "级别", "上级名称", "人口", "经度", "纬度"]
REGION_ROWS = [
    ["100100001", "一镇", "镇", "甲县", 125000, "", ""],            # known: renamed population only
    ["100100003", "新城街道", "街道", "甲县", "30,000", 103.66, 25.36],  # a new township
    ["100100003001", "新城社区", "社区", "新城街道", "", "", ""],    # its community, parent by name
    [100100001002.0, "东山村", "村", "", "", "", ""],                 # Excel number; parent from code
]


def region_frame(rows, header=REGION_HEADER):
    return read_table(xlsx(rows, header=header), "regions.xlsx")


def region_snapshot(engine):
    with engine.connect() as conn:
        return (conn.execute(text("SELECT code, name, level, parent_code, population, lon, lat "
                                  "FROM regions ORDER BY code")).fetchall(),
                conn.execute(text("SELECT code, name, kind FROM units ORDER BY code")).fetchall())


def test_township_and_village_list(places):
    from data.importing.regions import plan_regions, write_regions

    plan_ = plan_regions(places, region_frame(REGION_ROWS))
    assert plan_.ok, [p.text() for p in plan_.problems]
    assert (plan_.new_townships, plan_.new_villages, plan_.updated) == (1, 2, 1)
    assert plan_.not_listed == ["二镇"]
    assert write_regions(places, plan_) == []  # the fixture's counties have no outline to redraw
    regions, units = region_snapshot(places)
    rows = {r[0]: r for r in regions}
    assert rows["100100003"][1:5] == ("新城街道", "township", "100100", 30000)
    assert rows["100100003001"][2:4] == ("village", "100100003")
    assert rows["100100001002"][2:4] == ("village", "100100001")
    assert rows["100100001"][4] == 125000 and rows["100100001"][5] == 103.71  # lon kept
    assert ("100100003", "新城街道", "township") in units
    before = region_snapshot(places)
    again = plan_regions(places, region_frame(REGION_ROWS))
    assert (again.new_townships, again.new_villages) == (0, 0)
    write_regions(places, again)
    assert region_snapshot(places) == before  # re-importing the same list changes nothing
    # A case in the new township can now be imported.
    row = ["X-100", "2025-03-05", "来访", 1, "新城街道", "城乡建设", "新城街道", "", "", "否", "",
           "", "", ""]
    assert plan(places, xlsx([row])).ok


def test_broken_region_list_explained_and_nothing_written(places):
    from data.importing.regions import plan_regions, write_regions

    before = region_snapshot(places)
    broken = REGION_ROWS + [
        ["10010000X", "坏码镇", "镇", "", "", "", ""],
        ["100100003", "重复街道", "街道", "", "", "", ""],
        ["999900001", "外县镇", "镇", "", "", "", ""],
        ["100100004", "经度镇", "镇", "", "", 200, 25.3],
        ["100100005", "错级镇", "村", "", "", "", ""],
        ["100100009001", "孤村", "村", "", "", "", ""],
        ["100100006", "", "镇", "", "", "", ""],
    ]
    plan_ = plan_regions(places, region_frame(broken))
    messages = {(p.row, p.column): p.message for p in plan_.problems}
    assert "9 位" in messages[(8, "区划代码")]
    assert "第 5 行重复" in messages[(9, "区划代码")]
    assert "不是本辖区" in messages[(10, "区划代码")]
    assert "经度" in messages[(11, "经度")]
    assert "级别与区划代码不符" in messages[(12, "级别")]
    assert "不在本名单中" in messages[(13, "上级名称")]
    assert "名称为空" in messages[(14, "名称")]
    with pytest.raises(ImportRefused):
        write_regions(places, plan_)
    assert region_snapshot(places) == before
    missing = plan_regions(places, region_frame([["一镇"]], header=["名称"]))
    assert [p.message for p in missing.problems][0].startswith("缺少必需的列“区划代码”")


def test_region_list_redraws_schematic_areas(places):
    import json

    from shapely.geometry import Point, shape

    from data.importing.regions import plan_regions, write_regions

    outline = {"type": "Polygon", "coordinates": [[[103.6, 25.3], [103.8, 25.3], [103.8, 25.5],
                                                   [103.6, 25.5], [103.6, 25.3]]]}
    with places.begin() as conn:
        conn.execute(text("UPDATE regions SET boundary = :b WHERE code = '100100'"),
                     {"b": json.dumps(outline)})
    assert write_regions(places, plan_regions(places, region_frame(REGION_ROWS))) == ["100100"]
    with places.connect() as conn:
        towns = conn.execute(text("SELECT code, boundary, boundary_schematic, lon, lat FROM regions "
                                  "WHERE parent_code = '100100' ORDER BY code")).fetchall()
    cells = [shape(json.loads(t[1])) for t in towns]
    assert len(cells) == 3 and all(t[2] for t in towns)
    assert abs(sum(c.area for c in cells) - shape(outline).area) < 1e-9
    new_town = towns[2]
    assert (new_town[3], new_town[4]) == (103.66, 25.36)  # its own coordinates are its centre
    assert cells[2].contains(Point(103.66, 25.36))


def test_cli_imports_every_kind(tmp_path):
    import json
    import subprocess
    import sys

    from data.database import PROJECT_DIR

    url, engine = places_database(tmp_path, "kinds.db")
    regions = tmp_path / "regions.xlsx"
    regions.write_bytes(xlsx(REGION_ROWS, header=REGION_HEADER))
    geo = tmp_path / "towns.geojson"
    geo.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "一镇"}, "geometry": {
            "type": "Polygon", "coordinates": [[[103.6, 25.3], [103.7, 25.3], [103.7, 25.4],
                                                [103.6, 25.3]]]}}]}), encoding="utf-8")

    def run(*args):
        return subprocess.run([sys.executable, "cli.py", "import", *args, "--url", url],
                              cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)

    done = run(str(regions), "--kind", "regions")
    assert done.returncode == 0 and "新增乡镇（街道）1 个、村（社区）2 个" in done.stdout
    assert run(str(regions), "--kind", "villages").returncode == 2
    assert run(str(geo), "--kind", "boundaries").returncode == 2  # no property named
    drawn = run(str(geo), "--kind", "boundaries", "--name-property", "name")
    assert drawn.returncode == 0 and "更新 1 个" in drawn.stdout
    cases = tmp_path / "cases.xlsx"
    cases.write_bytes(xlsx(ROWS))
    assert run(str(cases)).returncode == 0
    evaluations = tmp_path / "eval.csv"
    evaluations.write_bytes("信访件编号,评价日期,评价结果\nX-001,2025-04-03,满意\nX-404,2025-04-03,满意\n"
                            .encode("gbk"))
    rejected = run(str(evaluations), "--kind", "evaluations")
    assert rejected.returncode == 1 and "第 3 行「信访件编号」列" in rejected.stderr
