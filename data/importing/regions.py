"""Importing the office's township and village lists: validated row by row, then written in one
transaction. New townships get their township unit; where a county's township areas are only
schematic, they are redrawn so that every township of the list has one."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
from shapely.geometry import Point, shape
from sqlalchemy import Engine, func, select, text

from data import schema
from data.geography import cells_around, geojson_text
from data.importing.batches import Source, batch, close_batch, explained, remember
from data.importing.checks import (
    ImportRefused, Problem, best_header, clean as _clean, header_names, real_number, text_problem,
    whole_number,
)

REGION_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("区划代码", "统计用区划代码", "行政区划代码", "代码", "编码"),
    "name": ("名称", "区划名称", "乡镇（街道）名称", "村（社区）名称", "单位名称"),
    "level": ("级别", "层级", "区划级别", "类型"),
    "parent": ("上级代码", "上级区划代码", "所属区划代码", "所属乡镇代码", "上级名称", "所属乡镇",
               "所属乡镇（街道）", "所属县（市、区）"),
    "population": ("人口", "户籍人口", "常住人口", "人口数"),
    "lon": ("经度",),
    "lat": ("纬度",),
}
REGION_REQUIRED = ("code", "name")
LEVEL_NAMES = {"township": "乡镇（街道）", "village": "村（社区）", "county": "县（市、区）"}


@dataclass
class RegionPlan:
    rows: list[dict] = field(default_factory=list)        # regions rows to insert or update
    problems: list[Problem] = field(default_factory=list)
    new_townships: int = 0
    new_villages: int = 0
    updated: int = 0
    not_listed: list[str] = field(default_factory=list)   # townships already known, absent here

    @property
    def ok(self) -> bool:
        return not self.problems


def _level_of(text_value: str) -> str | None:
    if not text_value:
        return None
    if any(k in text_value for k in ("村", "社区", "居委", "village")):
        return "village"
    if any(k in text_value for k in ("乡", "镇", "街道", "township")):
        return "township"
    return ""


def _code_of(value) -> str:
    """Digits of a code as typed or as Excel stored it (a float such as 410327001.0)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _clean(value).replace(" ", "")


def plan_regions(engine: Engine, frame: pd.DataFrame) -> RegionPlan:
    """Checks every row of a township/village list against the database; writes nothing."""
    plan = RegionPlan()
    header_row, mapping = best_header(frame, REGION_ALIASES)
    missing = [f for f in REGION_REQUIRED if f not in mapping]
    if header_row < 0 or missing:
        for f in missing or REGION_REQUIRED:
            plan.problems.append(Problem(None, REGION_ALIASES[f][0], None,
                                         f"缺少必需的列“{REGION_ALIASES[f][0]}”"
                                         f"（可用列名：{'、'.join(REGION_ALIASES[f])}）"))
        return plan
    headers = header_names(frame.iloc[header_row])
    position = {f: headers.index(c) for f, c in mapping.items()}
    with explained("读取区划"), engine.connect() as conn:
        known = {r.code: r for r in conn.execute(select(
            schema.regions.c.code, schema.regions.c.name, schema.regions.c.level,
            schema.regions.c.parent_code))}
    counties = {c: r for c, r in known.items() if r.level == "county"}
    county_by_name = {r.name: c for c, r in counties.items()}
    listed: dict[str, int] = {}
    town_names: dict[tuple[str, str], str] = {}  # (county, name) -> code, from the file
    pending: list[tuple[int, dict, str]] = []    # village rows whose parent may come later
    for index in range(header_row + 1, len(frame)):
        raw = frame.iloc[index]
        if not any(_clean(v) for v in raw):
            continue
        line = int(frame.index[index]) + 1
        value = {f: raw.iloc[p] for f, p in position.items() if p < len(raw)}
        problems: list[Problem] = []

        def problem(f, message, shown=None):
            problems.append(Problem(line, mapping.get(f, REGION_ALIASES[f][0]),
                                    _clean(value.get(f)) if shown is None else shown, message))

        code = _code_of(value.get("code"))
        name = _clean(value.get("name"))
        stated = _level_of(_clean(value.get("level")))
        if stated == "":
            problem("level", "级别应为乡镇（街道）或村（社区）")
        if not re.fullmatch(r"\d{9}|\d{12}", code):
            problem("code", "区划代码应为 9 位（乡镇）或 12 位数字")
            level = None
        elif len(code) == 9 or (code.endswith("000") and stated != "village"):
            level, code = "township", code[:9]
        else:
            level = "village"
        if stated and level and stated != level:
            problem("level", f"级别与区划代码不符（代码是{LEVEL_NAMES[level]}的代码）")
        if not name:
            problem("name", "名称为空")
        elif text_problem(name, schema.regions.c.name):
            problem("name", text_problem(name, schema.regions.c.name))
        if code in listed:
            problem("code", f"区划代码与第 {listed[code]} 行重复")
        elif code:
            listed[code] = line
        if code in known and level and known[code].level != level:
            problem("code", f"数据库中这个代码是{LEVEL_NAMES.get(known[code].level, known[code].level)}")
        numbers = {}
        for f, kind, low, high, message in (
                ("population", int, 0, 10**8, "人口应为 0 到 1 亿之间的整数"),
                ("lon", float, 73.0, 135.5, "经度应在 73 到 135.5 之间"),
                ("lat", float, 3.5, 53.6, "纬度应在 3.5 到 53.6 之间")):
            try:
                if kind is int:
                    numbers[f] = (whole_number(value.get(f), low, high)
                                  if _clean(value.get(f)) else None)
                else:
                    numbers[f] = real_number(value.get(f), low, high)
            except ValueError:
                problem(f, message)
                numbers[f] = None
        if (numbers["lon"] is None) != (numbers["lat"] is None) and not problems:
            problem("lon" if numbers["lon"] is None else "lat", "经度和纬度应同时填写")
        parent_text = _code_of(value.get("parent"))
        row = {"code": code, "name": name, "level": level, "population": numbers["population"],
               "lon": numbers["lon"], "lat": numbers["lat"], "parent_code": None}
        if level == "township":
            parent = parent_text[:6] if parent_text.isdigit() else county_by_name.get(parent_text)
            parent = parent or code[:6]
            if parent not in counties:
                problem("parent" if parent_text else "code",
                        "所属县（市、区）不在本辖区名单中" if parent_text
                        else f"代码前 6 位 {code[:6]} 不是本辖区的县（市、区）", parent_text or code)
            elif parent != code[:6]:
                problem("parent", f"上级与区划代码前 6 位（{code[:6]}）不符")
            row["parent_code"] = parent
            if (parent, name) in town_names:
                problem("name", "同一县（市、区）中乡镇（街道）名称重复")
            town_names[(parent, name)] = code
        if problems:
            plan.problems.extend(problems)
            continue
        if level == "village":
            pending.append((line, row, parent_text))
        else:
            plan.rows.append(row)
    townships = {c for c, r in known.items() if r.level == "township"} | {
        r["code"] for r in plan.rows}
    by_name = {}
    for c, r in known.items():
        if r.level == "township":
            by_name.setdefault(r.name, c)
    by_name.update({name: c for (_county, name), c in town_names.items()})
    for line, row, parent_text in pending:
        parent = (parent_text[:9] if parent_text.isdigit() else by_name.get(parent_text)) \
            or row["code"][:9]
        if parent not in townships:
            plan.problems.append(Problem(line, mapping.get("parent", mapping["code"]),
                                         parent_text or row["code"],
                                         "所属乡镇（街道）既不在数据库中，也不在本名单中"))
            continue
        if parent != row["code"][:9]:
            plan.problems.append(Problem(line, mapping.get("parent"), parent_text,
                                         f"上级与区划代码前 9 位（{row['code'][:9]}）不符"))
            continue
        row["parent_code"] = parent
        plan.rows.append(row)
    plan.new_townships = sum(r["level"] == "township" and r["code"] not in known for r in plan.rows)
    plan.new_villages = sum(r["level"] == "village" and r["code"] not in known for r in plan.rows)
    plan.updated = sum(r["code"] in known for r in plan.rows)
    listed_towns = {r["code"] for r in plan.rows if r["level"] == "township"}
    touched = {r["parent_code"] for r in plan.rows if r["level"] == "township"}
    plan.not_listed = sorted(r.name for c, r in known.items() if r.level == "township"
                             and r.parent_code in touched and c not in listed_towns)
    return plan


UNNAMED = Source("（未记录文件名）", "", "cli")


def write_regions(engine: Engine, plan: RegionPlan, source: Source = UNNAMED,
                  on_wait: Callable[[str], None] | None = None) -> list[str]:
    """Writes the list as one batch in one transaction; returns the counties whose schematic
    township areas were redrawn."""
    if plan.problems:
        raise ImportRefused(f"还有 {len(plan.problems)} 个问题未处理，未写入任何数据")
    regions, units = schema.regions, schema.units
    with batch(engine, "regions", source, on_wait) as (conn, batch_id):
        touched = sorted({r["parent_code"] for r in plan.rows if r["level"] == "township"})
        redrawable = [r[0] for r in conn.execute(select(regions.c.code).where(
            regions.c.parent_code.in_(touched), regions.c.level == "township"))] if touched else []
        remember(conn, batch_id, "regions", [r["code"] for r in plan.rows] + redrawable)
        remember(conn, batch_id, "units", [r["code"] for r in plan.rows if r["level"] == "township"])
        existing = {r[0] for r in conn.execute(select(regions.c.code).where(
            regions.c.code.in_([r["code"] for r in plan.rows])))} if plan.rows else set()
        next_unit = (conn.execute(select(func.max(units.c.id))).scalar() or 0) + 1
        unit_codes = {r[0] for r in conn.execute(select(units.c.code))}
        for row in sorted(plan.rows, key=lambda r: r["level"] != "township"):
            values = {k: v for k, v in row.items() if v is not None or k in ("code", "name")}
            if row["code"] in existing:
                conn.execute(regions.update().where(regions.c.code == row["code"]).values(**values))
            else:
                conn.execute(regions.insert().values(**values, boundary_schematic=False))
            if row["level"] != "township":
                continue
            if row["code"] in unit_codes:
                conn.execute(units.update().where(units.c.code == row["code"])
                             .values(name=row["name"]))
            else:
                conn.execute(units.insert().values(id=next_unit, code=row["code"], name=row["name"],
                                                   kind="township", region_code=row["code"]))
                next_unit += 1
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('units', 'id'), "
                              "(SELECT MAX(id) FROM units))"))
        redrawn = [county for county in touched if _redraw_schematic(conn, county)]
        close_batch(conn, batch_id, len(plan.rows))
    return redrawn


def _redraw_schematic(conn, county: str) -> bool:
    """Redraws a county's township areas when none of them is a real boundary; a township's own
    coordinates, when given, become the centre its cell is drawn around."""
    regions = schema.regions
    outline = conn.execute(select(regions.c.boundary).where(regions.c.code == county)).scalar()
    towns = conn.execute(select(regions.c.code, regions.c.lon, regions.c.lat, regions.c.boundary,
                                regions.c.boundary_schematic)
                         .where(regions.c.parent_code == county, regions.c.level == "township")
                         .order_by(regions.c.code)).fetchall()
    if not outline or not towns or any(t.boundary and not t.boundary_schematic for t in towns):
        return False
    area = shape(json.loads(outline))
    seeds = [Point(t.lon, t.lat) if t.lon is not None else None for t in towns]
    cells = cells_around(area, seeds, np.random.default_rng(int(county)))
    for town, seed, cell in zip(towns, seeds, cells):
        centre = seed if seed is not None and cell.contains(seed) else cell.representative_point()
        conn.execute(regions.update().where(regions.c.code == town.code).values(
            boundary=geojson_text(cell), boundary_schematic=True,
            lon=round(centre.x, 6), lat=round(centre.y, 6)))
    return True
