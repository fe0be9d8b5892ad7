"""The demo jurisdictions' places: real county outlines and township names, generated township
areas (schematic Voronoi cells clipped to each county) and generated villages."""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from shapely import voronoi_polygons
from shapely.geometry import MultiPoint, Point, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"

# Approximate resident populations (2020 census, rounded), for per-10,000 figures in the demo.
COUNTY_POPULATION = {
    "530302": 1_000_000, "530303": 430_000, "530304": 200_000, "530322": 640_000,
    "530323": 400_000, "530324": 560_000, "530325": 720_000, "530326": 910_000,
    "530381": 1_240_000, "410327": 700_000,
}

PROFILES = {
    "city": {"code": "530300", "name": "曲靖市", "counties": (
        "530302", "530303", "530304", "530322", "530323", "530324", "530325", "530326", "530381")},
    "county": {"code": "410327", "name": "宜阳县", "counties": ("410327",)},
}

VILLAGE_HEADS = list("东西南北上下中大小新老前后高长石龙马杨李王张刘陈黄赵周吴徐孙胡朱何罗郭"
                     "梁宋郑谢韩唐冯董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶余潘杜戴夏钟汪田任姜范方")
VILLAGE_TAILS = ("家村", "庄村", "湾村", "营村", "坡村", "沟村", "河村", "岭村", "寨村", "堡村",
                 "坪村", "屯村", "桥村", "店村", "园村", "山村", "冲村", "头村", "口村", "洼村")
STREET_TAILS = ("社区", "路社区", "园社区", "街社区", "苑社区")


@dataclass
class Place:
    code: str
    name: str
    level: str
    parent_code: str | None
    lon: float
    lat: float
    population: int | None = None
    boundary: str | None = None
    boundary_schematic: bool = False
    children: list["Place"] = field(default_factory=list)


def load_county_outlines() -> dict[str, tuple[str, BaseGeometry]]:
    """code -> (name, outline) from the bundled reference file."""
    with open(REFERENCE_DIR / "counties.geojson", encoding="utf-8") as handle:
        collection = json.load(handle)
    return {f["properties"]["code"]: (f["properties"]["name"], shape(f["geometry"]))
            for f in collection["features"]}


def load_township_names() -> dict[str, list[tuple[str, str]]]:
    """county code -> [(township code, name)] sorted by code."""
    result: dict[str, list[tuple[str, str]]] = {}
    with open(REFERENCE_DIR / "townships.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            result.setdefault(row["county_code"], []).append((row["code"], row["name"]))
    for townships in result.values():
        townships.sort()
    return result


def geojson_text(geometry: BaseGeometry) -> str:
    def rounded(coords):
        if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
            return [round(coords[0], 5), round(coords[1], 5)]
        return [rounded(c) for c in coords]
    data = mapping(geometry)
    return json.dumps({"type": data["type"], "coordinates": rounded(data["coordinates"])},
                      separators=(",", ":"))


def _points_inside(area: BaseGeometry, count: int, rng: np.random.Generator) -> list[Point]:
    minx, miny, maxx, maxy = area.bounds
    points: list[Point] = []
    while len(points) < count:
        xs = rng.uniform(minx, maxx, count * 4)
        ys = rng.uniform(miny, maxy, count * 4)
        points.extend(p for p in map(Point, xs, ys) if area.contains(p))
    return points[:count]


def partition(area: BaseGeometry, count: int, rng: np.random.Generator) -> list[BaseGeometry]:
    """`count` Voronoi cells that exactly cover `area`, relaxed twice for even sizes."""
    if count == 1:
        return [area]
    seeds = _points_inside(area, count, rng)
    cells: list[BaseGeometry] = []
    for _ in range(3):
        diagram = voronoi_polygons(MultiPoint(seeds), extend_to=area.envelope.buffer(0.5))
        by_seed = []
        for seed in seeds:
            cell = next(g for g in diagram.geoms if g.covers(seed))
            by_seed.append(cell.intersection(area))
        cells = by_seed
        seeds = [c.centroid if c.centroid.within(area) else c.representative_point() for c in cells]
    return [c.buffer(0) for c in cells]


def cells_around(area: BaseGeometry, seeds: list[Point | None], rng: np.random.Generator
                 ) -> list[BaseGeometry]:
    """One schematic cell per seed covering `area`; seeds that are missing, repeated or outside the
    area are replaced by random points inside it. Cells keep the order of `seeds`."""
    if len(seeds) == 1:
        return [area]
    seen: set[tuple[float, float]] = set()
    missing = []
    for i, seed in enumerate(seeds):
        if seed is None or not area.contains(seed) or (seed.x, seed.y) in seen:
            missing.append(i)
        else:
            seen.add((seed.x, seed.y))
    filled = list(seeds)
    for i, point in zip(missing, _points_inside(area, len(missing), rng)):
        filled[i] = point
    diagram = voronoi_polygons(MultiPoint(filled), extend_to=area.envelope.buffer(0.5))
    cells = []
    for seed in filled:
        cell = next(g for g in diagram.geoms if g.covers(seed))
        cells.append(cell.intersection(area).buffer(0))
    return cells


def _village_names(township_name: str, count: int, rng: np.random.Generator) -> list[str]:
    tails = STREET_TAILS if township_name.endswith("街道") else VILLAGE_TAILS
    combos = [h + t for h in VILLAGE_HEADS for t in tails]
    picks = rng.choice(len(combos), size=count, replace=False)
    return [combos[i] for i in picks]


def build_places(profile: str, rng: np.random.Generator, villages_total: int | None = None) -> Place:
    """The jurisdiction tree for a demo profile: top region, counties, townships, villages."""
    spec = PROFILES[profile]
    outlines = load_county_outlines()
    names = load_township_names()
    counties: list[Place] = []
    for county_code in spec["counties"]:
        county_name, outline = outlines[county_code]
        townships = names[county_code]
        cells = partition(outline, len(townships), rng)
        # Larger cells first to the rural towns; street offices (街道) are the town seat: smaller.
        order = sorted(range(len(cells)), key=lambda i: cells[i].area)
        streets = [t for t in townships if t[1].endswith("街道")]
        rural = [t for t in townships if not t[1].endswith("街道")]
        assigned = dict(zip([*streets, *rural], order))
        weights = np.array([3.0 if t[1].endswith("街道") else 1.0 for t in townships])
        weights = weights * rng.uniform(0.6, 1.4, len(townships))
        population = COUNTY_POPULATION.get(county_code)
        shares = weights / weights.sum()
        county = Place(county_code, county_name, "county", spec["code"] if profile == "city" else
                       None, outline.representative_point().x, outline.representative_point().y,
                       population, geojson_text(outline), False)
        for (code, name), share in zip(townships, shares):
            cell = cells[assigned[(code, name)]]
            centre = cell.representative_point()
            county.children.append(Place(
                code, name, "township", county_code, centre.x, centre.y,
                int(population * share) if population else None, geojson_text(cell), True))
        counties.append(county)
    townships = [t for c in counties for t in c.children]
    per_township = _village_counts(len(townships), villages_total, rng)
    for township, count in zip(townships, per_township):
        cell = shape(json.loads(township.boundary))
        points = _points_inside(cell, count, rng)
        for index, (name, point) in enumerate(zip(_village_names(township.name, count, rng), points)):
            code = f"{township.code[:9]}{index + 1:03d}"
            share = township.population // count if township.population else None
            township.children.append(Place(code, name, "village", township.code,
                                           point.x, point.y, share))
    if profile == "city":
        merged = unary_union([shape(json.loads(c.boundary)) for c in counties])
        centre = merged.representative_point()
        return Place(spec["code"], spec["name"], "city", None, centre.x, centre.y,
                     sum(c.population or 0 for c in counties), None, False, counties)
    return counties[0]


def _village_counts(townships: int, total: int | None, rng: np.random.Generator) -> list[int]:
    if total is None:
        return [int(n) for n in rng.integers(8, 16, townships)]
    base = np.full(townships, total // townships)
    base[rng.choice(townships, total - base.sum(), replace=False)] += 1
    return [int(n) for n in base]


def flatten(root: Place) -> list[Place]:
    """Every place of the tree, parents before children."""
    result = [root]
    for child in root.children:
        result.extend(flatten(child))
    return result
