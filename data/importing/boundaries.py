"""Township boundaries from a GeoJSON file: read in the child process (reading.in_child), every
feature that is not an object or whose geometry is invalid reported (never silently repaired),
the geometry simplified to what the map draws, then matched to the townships by code or name and
written as one batch."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import Engine, select

from data import schema
from data.importing.batches import Source, batch, close_batch, explained, remember, sha256
from data.importing.checks import ImportRefused, Problem

MAX_GEOJSON_BYTES = 64 * 2**20   # a boundary file
MAX_FEATURES = 5_000             # features of one file
MAX_STORED_VERTICES = 2_000      # vertices kept per township (what the map sends to the browser)
SIMPLIFY_DEGREES = 0.0001        # first simplification tolerance, about 10 m
CHINA_BOUNDS = (73.0, 3.5, 135.5, 53.6)  # lon/lat box every township lies in
VALIDITY_REASONS = {
    "Self-intersection": "边界线自相交", "Ring Self-intersection": "边界环自相交",
    "Too few points": "点数太少，构不成面", "Hole lies outside shell": "内环在外环之外",
    "Nested shells": "多个面相互嵌套", "Interior is disconnected": "面的内部被分割开",
    "Duplicate Rings": "边界环重复", "Invalid Coordinate": "坐标无效（非数字或无穷大）",
    "Ring is not closed": "边界环未闭合", "Nested holes": "内环相互嵌套",
}


@dataclass
class Feature:
    number: int                     # 1-based position in the file
    properties: dict[str, str]
    geometry: str | None = None     # simplified GeoJSON geometry text, WGS-84
    problem: str | None = None
    vertices_read: int = 0
    vertices_kept: int = 0


@dataclass
class BoundaryPlan:
    matched: dict[str, str] = field(default_factory=dict)   # township code -> GeoJSON geometry text
    unmatched: list[str] = field(default_factory=list)       # feature names/codes not found
    missing: list[str] = field(default_factory=list)         # townships with no feature
    problems: list[Problem] = field(default_factory=list)
    vertices_read: int = 0
    vertices_kept: int = 0


def _validity(geometry) -> str:
    from shapely.validation import explain_validity

    reason = explain_validity(geometry)
    match = re.match(r"([^\[]+)\[([-\d.eE+]+) ([-\d.eE+]+)\]", reason)
    name = (match.group(1) if match else reason).strip()
    text = VALIDITY_REASONS.get(name, "几何无效")
    if match:
        try:
            text += f"（约在经度 {float(match.group(2)):.5f}、纬度 {float(match.group(3)):.5f} 处）"
        except ValueError:
            pass
    return text + "。不会自动修复，请在 GIS 软件中修正后重新导出"


def _simplified(geometry):
    """The geometry with at most MAX_STORED_VERTICES vertices, coordinates to 6 decimals."""
    import numpy as np
    import shapely

    tolerance = SIMPLIFY_DEGREES
    result = geometry.simplify(tolerance, preserve_topology=True)
    while shapely.get_num_coordinates(result) > MAX_STORED_VERTICES:
        tolerance *= 2
        result = geometry.simplify(tolerance, preserve_topology=True)
    rounded = shapely.transform(result, lambda c: np.round(c, 6))
    return rounded if rounded.is_valid else result


def _feature(number: int, raw, gcj02: bool) -> Feature:
    import shapely
    from shapely.geometry import mapping, shape

    from data.importing.coordinates import gcj02_to_wgs84_many

    if not isinstance(raw, dict):
        return Feature(number, {}, problem="不是 GeoJSON 要素对象（应为 {\"type\": \"Feature\", ...}）")
    props = raw.get("properties")
    if props is not None and not isinstance(props, dict):
        return Feature(number, {}, problem="properties 不是对象")
    properties = {str(k): "" if v is None else str(v).strip() for k, v in (props or {}).items()
                  if not isinstance(v, (dict, list))}
    feature = Feature(number, properties)
    geometry = raw.get("geometry")
    if not isinstance(geometry, dict):
        feature.problem = "没有几何数据（geometry）"
        return feature
    try:
        shaped = shape(geometry)
    except Exception:  # noqa: BLE001 - any malformed geometry is reported the same way
        feature.problem = "几何数据无法解析（坐标格式有误）"
        return feature
    if shaped.geom_type not in ("Polygon", "MultiPolygon") or shaped.is_empty:
        feature.problem = f"不是面要素（是 {shaped.geom_type}）"
        return feature
    feature.vertices_read = int(shapely.get_num_coordinates(shaped))
    if gcj02:
        shaped = shapely.transform(shaped, gcj02_to_wgs84_many)
    if not shaped.is_valid:
        feature.problem = _validity(shaped)
        return feature
    west, south, east, north = shaped.bounds
    lo_x, lo_y, hi_x, hi_y = CHINA_BOUNDS
    if not (lo_x <= west and east <= hi_x and lo_y <= south and north <= hi_y):
        feature.problem = "坐标不在中国范围内（应为经纬度；投影坐标请先转换为 WGS-84）"
        return feature
    kept = _simplified(shaped)
    feature.vertices_kept = int(shapely.get_num_coordinates(kept))
    feature.geometry = json.dumps(mapping(kept))
    return feature


def read_features_here(content: bytes, gcj02: bool) -> list[Feature]:
    """Every feature of the file, checked and simplified. Runs in the child process."""
    from data.importing.reading import _Refused

    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise _Refused(f"不是有效的 GeoJSON 文件（{exc.__class__.__name__}），应为 UTF-8 编码的 "
                       "FeatureCollection") from exc
    if not isinstance(data, dict):
        raise _Refused("不是有效的 GeoJSON 文件：最外层应为对象（FeatureCollection）")
    if data.get("type") == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            raise _Refused("不是有效的 GeoJSON 文件：features 应为要素列表")
    elif data.get("type") == "Feature":
        features = [data]
    else:
        raise _Refused("不是有效的 GeoJSON 文件：type 应为 FeatureCollection 或 Feature")
    if len(features) > MAX_FEATURES:
        raise _Refused(f"要素过多（{len(features):,} 个，最多 {MAX_FEATURES:,} 个）")
    return [_feature(number, raw, gcj02) for number, raw in enumerate(features, start=1)]


def read_features(content: bytes, gcj02: bool, filename: str = "边界文件") -> list[Feature]:
    """The file's features, read in a child process within the memory and time limits."""
    from data.importing.reading import in_child

    if not content:
        raise ImportRefused(f"文件 {filename} 是空的")
    if len(content) > MAX_GEOJSON_BYTES:
        raise ImportRefused(f"文件 {filename} 过大（{len(content) / 2**20:.0f} MB，最大 "
                            f"{MAX_GEOJSON_BYTES // 2**20} MB）")
    return in_child("features", (content, gcj02), filename)


def property_names(features: list[Feature]) -> list[str]:
    return sorted({k for f in features for k in f.properties})


def plan_boundaries(engine: Engine, content: bytes | None, name_property: str | None,
                    code_property: str | None, gcj02: bool, county_code: str | None = None,
                    features: list[Feature] | None = None) -> BoundaryPlan:
    """Matches the file's township boundaries to the townships by code or name; every feature
    that is not an object, and every matched one whose geometry is invalid, is a problem."""
    plan = BoundaryPlan()
    if features is None:
        try:
            features = read_features(content or b"", gcj02)
        except ImportRefused as exc:
            plan.problems.append(Problem(None, None, None, str(exc)))
            return plan
    with explained("读取乡镇名单"), engine.connect() as conn:
        query = select(schema.regions.c.code, schema.regions.c.name).where(
            schema.regions.c.level == "township")
        if county_code:
            query = query.where(schema.regions.c.parent_code == county_code)
        towns = conn.execute(query).fetchall()
    by_code = {code: code for code, _name in towns} | {code[:9]: code for code, _name in towns}
    by_name = {name: code for code, name in towns}
    for feature in features:
        props = feature.properties
        code = props.get(code_property, "") if code_property else ""
        name = props.get(name_property, "") if name_property else ""
        label = name or code or f"第 {feature.number} 个要素"
        if feature.problem and not props:
            plan.problems.append(Problem(None, None, None,
                                         f"第 {feature.number} 个要素：{feature.problem}"))
            continue
        town = by_code.get(code) or by_code.get(code[:9]) or by_name.get(name)
        if town is None:
            plan.unmatched.append(label)
            continue
        if feature.problem:
            plan.problems.append(Problem(None, None, None,
                                         f"第 {feature.number} 个要素（{label}）：{feature.problem}"))
            continue
        plan.matched[town] = feature.geometry
        plan.vertices_read += feature.vertices_read
        plan.vertices_kept += feature.vertices_kept
    plan.missing = sorted(name for code, name in towns if code not in plan.matched)
    return plan


UNNAMED = Source("（未记录文件名）", sha256(b""), "cli")


def write_boundaries(engine: Engine, plan: BoundaryPlan, source: Source = UNNAMED,
                     on_wait: Callable[[str], None] | None = None) -> int:
    """Replaces the matched townships' areas and centres as one batch; the areas are no longer
    schematic."""
    from shapely.geometry import shape

    if plan.problems:
        raise ImportRefused(f"还有 {len(plan.problems)} 个问题未处理，未写入任何数据")
    with batch(engine, "boundaries", source, on_wait) as (conn, batch_id):
        remember(conn, batch_id, "regions", list(plan.matched))
        for code, geometry in plan.matched.items():
            centre = shape(json.loads(geometry)).representative_point()
            conn.execute(schema.regions.update().where(schema.regions.c.code == code).values(
                boundary=geometry, boundary_schematic=False, lon=round(centre.x, 6),
                lat=round(centre.y, 6)))
        close_batch(conn, batch_id, len(plan.matched))
    return len(plan.matched)
