"""Files built to exhaust the server are refused in seconds with a Chinese message, nothing is
written, and the test process's own memory stays put (the parse runs in a limited child)."""
import io
import json
import resource
import time
import zipfile

import pytest
from sqlalchemy import text

from data.importing import reading
from data.importing.boundaries import plan_boundaries, write_boundaries
from data.importing.checks import ImportRefused
from data.importing.reading import read_table
from tests.test_import import HEADER, ROWS, csv, places_database, xlsx

SECONDS = 20          # a hostile file is refused within this
GROWTH_MB = 150       # the test process grows by less than this while refusing one


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def refused(content: bytes, name: str) -> str:
    """The Chinese message a hostile file gets, checked for time and memory."""
    before, started = peak_mb(), time.monotonic()
    with pytest.raises(ImportRefused) as caught:
        read_table(content, name)
    assert time.monotonic() - started < SECONDS
    assert peak_mb() - before < GROWTH_MB
    return str(caught.value)


def sheet_xlsx(sheet_xml: str, compress: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A minimal .xlsx around one sheet's XML (inline strings, no shared strings)."""
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
            '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
            '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/></Types>'),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.'
            'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" '
            'r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compress, compresslevel=9) as archive:
        for name, body in parts.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def cell(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def sheet(rows: str, dimension: str = "A1:B2") -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.'
            f'org/spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>{rows}'
            '</sheetData></worksheet>')


HEADER_ROW = '<row r="1">' + "".join(cell(f"{c}1", h) for c, h in zip("ABCD", HEADER)) + "</row>"
DATA_ROW = ('<row r="2">' + cell("A2", "X-001") + cell("B2", "2025-03-05") + cell("C2", "来访")
            + "</row>")


def test_claimed_dimension_is_ignored():
    """A 2-row sheet claiming A1:XFD1048576 is read as the 2 rows it has, quickly and small."""
    content = sheet_xlsx(sheet(HEADER_ROW + DATA_ROW, "A1:XFD1048576"))
    assert len(content) < 5_000
    before, started = peak_mb(), time.monotonic()
    frame = read_table(content, "dimension.xlsx")
    assert time.monotonic() - started < SECONDS and peak_mb() - before < GROWTH_MB
    assert frame.shape == (2, 4) and frame.iloc[1, 0] == "X-001"


def test_sparse_far_cells_are_refused_in_seconds():
    far_row = '<row r="1048576">' + cell("A1048576", "x") + "</row>"
    message = refused(sheet_xlsx(sheet(HEADER_ROW + DATA_ROW + far_row, "A1:XFD1048576")),
                      "far-row.xlsx")
    assert message == f"文件 far-row.xlsx 无法导入：超过 {reading.MAX_ROWS:,} 行，请分成几个文件导入"
    far_column = '<row r="3">' + cell("XFD3", "x") + cell("CW3", "y") + "</row>"
    message = refused(sheet_xlsx(sheet(HEADER_ROW + DATA_ROW + far_column, "A1:XFD3")),
                      "far-column.xlsx")
    assert f"超过 {reading.MAX_COLUMNS} 列" in message


def test_zip_bomb_refused_before_unpacking():
    """Megabytes of sheet XML per kilobyte packed: refused from the archive's directory."""
    filler = '<row r="2">' + cell("A2", "0" * 1000) + "</row>"
    body = sheet(HEADER_ROW + "<!--" + "0" * (40 * 2**20) + "-->" + filler)
    content = sheet_xlsx(body)
    assert len(content) < 200_000
    message = refused(content, "bomb.xlsx")
    assert message.startswith("文件 bomb.xlsx 无法导入：内部数据的压缩比异常")


def test_oversized_archive_refused(monkeypatch):
    monkeypatch.setattr(reading, "ZIP_MAX_TOTAL_BYTES", 2**20)
    body = sheet(HEADER_ROW + "".join(
        f'<row r="{i}">' + cell(f"A{i}", f"{i:08d}-{i * 7919 % 100003:06d}") + "</row>"
        for i in range(2, 30_000)))
    assert "解压后超过 1 MB" in refused(sheet_xlsx(body), "large.xlsx")
    monkeypatch.setattr(reading, "ZIP_MAX_ENTRIES", 3)
    assert "部件" in refused(sheet_xlsx(sheet(HEADER_ROW)), "parts.xlsx")


def test_too_many_rows_and_columns_in_every_format(monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 50)
    rows = [list(ROWS[0]) for _ in range(60)]
    for content, name in ((csv(rows), "many.csv"), (xlsx(rows), "many.xlsx")):
        assert refused(content, name) == f"文件 {name} 无法导入：超过 50 行，请分成几个文件导入"
    assert read_table(csv(rows[:45]), "fine.csv").shape[0] == 46
    wide = [[f"c{i}" for i in range(reading.MAX_COLUMNS + 5)], ["x"] * (reading.MAX_COLUMNS + 5)]
    assert f"超过 {reading.MAX_COLUMNS} 列" in refused(csv(wide[1:], header=wide[0]), "wide.csv")
    assert f"超过 {reading.MAX_COLUMNS} 列" in refused(xlsx(wide[1:], header=wide[0], title=False),
                                                       "wide.xlsx")


def test_oversized_cell_and_file_refused(monkeypatch):
    huge = [["X-001", "x" * (reading.MAX_CELL_CHARS + 1)]]
    assert "超过 32,767 个字符" in refused(csv(huge, header=["信访件编号", "诉求摘要"]), "cell.csv")
    monkeypatch.setattr(reading, "MAX_FILE_BYTES", 1000)
    assert "过大" in refused(b"x" * 2000, "big.csv")


def test_memory_and_time_limits_end_the_child_not_the_caller(monkeypatch):
    rows = [list(ROWS[0]) for _ in range(20_000)]
    content = xlsx(rows)
    monkeypatch.setattr(reading, "CHILD_MEMORY_BYTES", 64 * 2**20)
    assert "读取时所需内存超过 64 MB，已停止" in refused(content, "memory.xlsx")
    monkeypatch.setattr(reading, "CHILD_MEMORY_BYTES", 1536 * 2**20)
    monkeypatch.setattr(reading, "CHILD_SECONDS", 0.5)
    assert "读取超过 0.5 秒仍未完成，已停止" in refused(content, "slow.xlsx")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_hostile_case_file_writes_nothing_through_the_cli(tmp_path, backend):
    """The CLI prints the Chinese message only, exits 1, writes no case and no batch."""
    import subprocess
    import sys

    from data.database import PROJECT_DIR

    url, engine = places_database(tmp_path, "hostile.db")
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(sheet_xlsx(sheet(HEADER_ROW + "<!--" + "0" * (40 * 2**20) + "-->")))
    started = time.monotonic()
    done = subprocess.run([sys.executable, "cli.py", "import", str(bomb), "--url", url],
                          cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)
    assert time.monotonic() - started < 30
    assert done.returncode == 1 and "压缩比异常" in done.stderr and "Traceback" not in done.stderr
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM cases")).scalar() == 0
        assert conn.execute(text("SELECT COUNT(*) FROM import_batches")).scalar() == 0


# ---- boundary files ------------------------------------------------------------------------------

def boundary_file(features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def square(x0=103.60, y0=25.30, size=0.1):
    return [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]


def test_bad_geojson_reported_never_repaired(empty_engine):
    from tests.fixture_cases import load_places

    with empty_engine.begin() as conn:
        load_places(conn)
    bow_tie = [[103.6, 25.3], [103.7, 25.4], [103.7, 25.3], [103.6, 25.4], [103.6, 25.3]]
    content = boundary_file([
        "not a feature",
        {"type": "Feature", "properties": {"name": "一镇"},
         "geometry": {"type": "Polygon", "coordinates": [bow_tie]}},
        {"type": "Feature", "properties": {"name": "二镇"},
         "geometry": {"type": "Point", "coordinates": [103.6, 25.3]}},
    ])
    plan = plan_boundaries(empty_engine, content, "name", None, gcj02=False)
    messages = [p.text() for p in plan.problems]
    assert messages[0].startswith("文件：第 1 个要素：不是 GeoJSON 要素对象")
    assert messages[1].startswith("文件：第 2 个要素（一镇）：边界线自相交（约在经度 103.65000、纬度 25.35000 处）")
    assert "不会自动修复" in messages[1]
    assert messages[2] == "文件：第 3 个要素（二镇）：不是面要素（是 Point）"
    with pytest.raises(ImportRefused):
        write_boundaries(empty_engine, plan)
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM regions WHERE boundary IS NOT NULL")).scalar() == 0
    for broken, expected in ((b"[1, 2]", "最外层应为对象"),
                             (b'{"type": "FeatureCollection", "features": 5}', "features 应为要素列表"),
                             (b'{"type": "Topology"}', "type 应为")):
        plan = plan_boundaries(empty_engine, broken, "name", None, gcj02=False)
        assert expected in plan.problems[0].message


def test_million_vertex_township_simplified_before_storing(empty_engine):
    import math

    from shapely.geometry import Polygon, shape

    from data.importing.boundaries import MAX_STORED_VERTICES
    from tests.fixture_cases import load_places

    with empty_engine.begin() as conn:
        load_places(conn)
    n = 1_000_000
    ring = [[103.65 + 0.05 * math.cos(2 * math.pi * i / n), 25.35 + 0.05 * math.sin(2 * math.pi * i / n)]
            for i in range(n)]
    ring.append(ring[0])
    content = boundary_file([{"type": "Feature", "properties": {"name": "一镇"},
                              "geometry": {"type": "Polygon", "coordinates": [ring]}}])
    before, started = peak_mb(), time.monotonic()
    plan = plan_boundaries(empty_engine, content, "name", None, gcj02=False)
    assert time.monotonic() - started < 60 and peak_mb() - before < GROWTH_MB
    assert not plan.problems
    assert plan.vertices_read == n + 1 and plan.vertices_kept <= MAX_STORED_VERTICES
    assert write_boundaries(empty_engine, plan) == 1
    with empty_engine.connect() as conn:
        stored = conn.execute(text("SELECT boundary FROM regions WHERE code = '100100001'")).scalar()
    assert len(stored) < 100_000
    kept = shape(json.loads(stored))
    assert kept.is_valid and abs(kept.area - Polygon(ring).area) / Polygon(ring).area < 0.01
