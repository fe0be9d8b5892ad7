"""The case list: find the header row, recognise the usual Chinese column names, check every row
against the places, units and what the database stores, then write all or nothing as one batch
(upsert on 信访件编号)."""
from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass, field
from datetime import date
from typing import Callable

import pandas as pd
from sqlalchemy import Engine, select

from data import rollups, schema, search_index
from data.database import write_setting
from data.importing.batches import Source, batch, close_batch, explained, insert_rows, remember
from data.importing.checks import (
    DEADLINE_YEARS, MAX_PERSONS, ImportRefused, Problem, best_header, clean, day_problem,
    header_names, parse_date, text_limit, text_problem, whole_number, years_after,
)

# field -> the column names offices use for it (first match wins).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "case_no": ("信访件编号", "信访编号", "信访事项编号", "件号", "编号"),
    "received_on": ("登记日期", "信访日期", "来信来访日期", "受理登记日期", "登记时间"),
    "channel": ("信访形式", "信访方式", "来源渠道", "来源"),
    "person_count": ("信访人数", "人数"),
    "is_collective": ("是否集体访", "集体访"),
    "escalation": ("越级", "层级", "信访层级", "越级情况"),
    "is_repeat": ("是否重复件", "重复件", "是否重复信访", "重复信访"),
    "category": ("内容分类", "问题分类", "信访事项分类", "问题类别"),
    "purpose": ("信访目的", "目的"),
    "township": ("问题属地", "属地", "所属乡镇", "乡镇（街道）", "乡镇"),
    "village": ("村（社区）", "所属村", "村"),
    "summary": ("诉求摘要", "主要诉求", "摘要", "信访内容", "内容"),
    "unit": ("责任单位", "承办单位", "办理单位"),
    "accepted_on": ("受理日期", "受理时间"),
    "due_on": ("限办日期", "办理期限", "办结时限", "限期"),
    "closed_on": ("办结日期", "办结时间"),
    "status": ("办理状态", "状态"),
    "satisfaction": ("满意度", "评价结果", "满意度评价"),
    "petitioner_name": ("信访人", "信访人姓名", "姓名"),
    "petitioner_phone": ("联系电话", "电话", "手机号码"),
    "petitioner_id_no": ("身份证号", "身份证号码", "证件号码"),
}
REQUIRED = ("case_no", "received_on", "township", "category")
FIELD_LABELS = {field: names[0] for field, names in COLUMN_ALIASES.items()}
# fields stored as text as they are: the column each one goes to (its length is the bound)
STORED_TEXT = {"case_no": "case_no", "category": "category", "purpose": "purpose",
               "summary": "summary", "petitioner_name": "petitioner_name",
               "petitioner_phone": "petitioner_phone", "petitioner_id_no": "petitioner_id_no"}
CHANNELS = {"来信": "来信", "信": "来信", "来访": "来访", "走访": "来访", "网上信访": "网上信访",
            "网信": "网上信访", "网上": "网上信访", "电话": "电话", "12345": "电话",
            "手机app": "手机App", "app": "手机App", "微信": "微信"}
ESCALATIONS = {"": "本级", "本级": "本级", "否": "本级", "无": "本级", "到市": "到市", "赴市": "到市",
               "到省": "到省", "赴省": "到省", "进京": "进京", "赴京": "进京"}
YES = {"是", "y", "yes", "1", "true", "√", "重复", "集体"}
NO = {"否", "n", "no", "0", "false", "", "初信初访", "初次"}
SATISFACTION = {"满意": "满意", "基本满意": "基本满意", "不满意": "不满意"}


@dataclass
class ImportPlan:
    """What a file would write, and every problem found, before anything is written."""

    rows: list[dict] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    evaluations: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    header_row: int = 0
    unknown_townships: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem_rows(self) -> set[int]:
        return {p.row for p in self.problems if p.row is not None}


@dataclass(frozen=True)
class ImportResult:
    inserted: int
    updated: int
    unchanged: int
    batch_id: int | None = None


def find_header(frame: pd.DataFrame, scan: int = 20) -> tuple[int, dict[str, str]]:
    """The case list's header row and field -> column; a clear message when there is none."""
    best, best_mapping = best_header(frame, COLUMN_ALIASES, scan)
    if len(best_mapping) < 2:
        raise ImportRefused("找不到表头：前 20 行中没有一行包含“信访件编号”“登记日期”“问题属地”等常用列名")
    return best, best_mapping


def _flag(text: str) -> bool | None:
    lowered = text.lower()
    if lowered in YES:
        return True
    if lowered in NO:
        return False
    return None


def _persons(text: str) -> int:
    return whole_number(text or "1", 1, MAX_PERSONS)


def plan_import(engine: Engine, frame: pd.DataFrame, mapping: dict[str, str] | None = None,
                header_row: int | None = None, today: date | None = None) -> ImportPlan:
    """Checks every row against the database's places and units and against what both databases
    store; writes nothing."""
    plan = ImportPlan()
    if header_row is None or mapping is None:
        found_row, found_mapping = find_header(frame)
        header_row = found_row if header_row is None else header_row
        mapping = {**found_mapping, **(mapping or {})}
    plan.header_row, plan.mapping = header_row, mapping
    headers = header_names(frame.iloc[header_row])
    for field_name in REQUIRED:
        if field_name not in mapping or mapping[field_name] not in headers:
            plan.problems.append(Problem(None, FIELD_LABELS[field_name], None,
                                         f"缺少必需的列“{FIELD_LABELS[field_name]}”"
                                         f"（可用列名：{'、'.join(COLUMN_ALIASES[field_name])}）"))
    if plan.problems:
        return plan
    position = {field_name: headers.index(column) for field_name, column in mapping.items()
                if column in headers}
    with explained("读取区划和单位"), engine.connect() as conn:
        townships = conn.execute(select(schema.regions.c.code, schema.regions.c.name,
                                        schema.regions.c.parent_code)
                                 .where(schema.regions.c.level == "township")).fetchall()
        villages = conn.execute(select(schema.regions.c.code, schema.regions.c.name,
                                       schema.regions.c.parent_code)
                                .where(schema.regions.c.level == "village")).fetchall()
        units = conn.execute(select(schema.units.c.id, schema.units.c.name,
                                    schema.units.c.code)).fetchall()
    by_name = {name: (code, parent) for code, name, parent in townships}
    by_code = {code: (code, parent) for code, _name, parent in townships}
    village_of = {(parent, name): code for code, name, parent in villages}
    unit_ids = {name: uid for uid, name, _code in units} | {code: uid for uid, _n, code in units}
    today = today or date.today()
    seen: dict[str, int] = {}
    unknown: dict[str, int] = {}
    width = frame.shape[1]
    # Each column's bound: the stored length of a text kept as it is, else none (but no NUL).
    bounded = [(f, at, text_limit(schema.cases.c[STORED_TEXT[f]]) if f in STORED_TEXT
                else sys.maxsize) for f, at in position.items()]
    # Plain lists: a cell by position costs nothing, where frame.iloc costs microseconds.
    body = frame.iloc[header_row + 1:]
    lines = [int(n) + 1 for n in body.index]  # row numbers in the file
    for line, raw in zip(lines, body.to_numpy(dtype=object).tolist()):
        texts = [clean(v) for v in raw]
        if not any(texts):
            continue

        def cell(field_name: str):
            return raw[position[field_name]] if position.get(field_name, width) < width else None

        def text_of(field_name: str) -> str:
            return texts[position[field_name]] if position.get(field_name, width) < width else ""
        problems: list[Problem] = []

        def problem(field_name: str, value, message: str) -> None:
            problems.append(Problem(line, mapping.get(field_name, FIELD_LABELS[field_name]),
                                    clean(value), message))

        for field_name, at, limit in bounded:
            value = texts[at]
            if "\x00" in value or len(value) > limit:
                column = STORED_TEXT.get(field_name)
                problem(field_name, value, text_problem(value, schema.cases.c[column]) if column
                        else "含有空字符（NUL），请删除后重新导出")
        if problems:
            plan.problems.extend(problems)
            continue
        case_no = text_of("case_no")
        if not case_no:
            problem("case_no", "", "信访件编号为空")
        elif case_no in seen:
            problem("case_no", case_no, f"信访件编号与第 {seen[case_no]} 行重复")
        else:
            seen[case_no] = line
        dates = {}
        for field_name in ("received_on", "accepted_on", "due_on", "closed_on"):
            try:
                dates[field_name] = parse_date(cell(field_name))
            except (ValueError, OverflowError) as exc:
                problem(field_name, cell(field_name), str(exc) or "不是有效日期")
                dates[field_name] = None
        received = dates.get("received_on")
        if received is None and not any(p.column == mapping["received_on"] for p in problems):
            problem("received_on", "", "登记日期为空")
        for field_name, why in (
                ("received_on", day_problem(received, today, "登记日期")),
                ("accepted_on", day_problem(dates.get("accepted_on"), today, "受理日期",
                                            received, "登记日期")),
                ("due_on", day_problem(dates.get("due_on"), today, "办理期限", received, "登记日期",
                                       years_after(received, DEADLINE_YEARS) if received
                                       else years_after(today, DEADLINE_YEARS))),
                ("closed_on", day_problem(dates.get("closed_on"), today, "办结日期", received,
                                          "登记日期"))):
            if why:
                problem(field_name, cell(field_name), why)
        town_text = text_of("township")
        town = by_name.get(town_text) or by_code.get(town_text) or by_code.get(town_text[:9])
        if not town_text:
            problem("township", "", "问题属地为空")
        elif town is None:
            unknown[town_text] = unknown.get(town_text, line)
            problem("township", town_text, "问题属地不在本辖区的乡镇（街道）名单中")
        category = text_of("category")
        if not category:
            problem("category", "", "内容分类为空")
        channel_text = text_of("channel")
        channel = CHANNELS.get(channel_text.lower(), CHANNELS.get(channel_text)) if channel_text else "来信"
        if channel is None:
            problem("channel", channel_text, f"信访形式无法识别（可用：{'、'.join(sorted(set(CHANNELS.values())))}）")
        persons_text = text_of("person_count")
        try:
            persons = _persons(persons_text)
        except ValueError:
            problem("person_count", persons_text, f"信访人数应为 1 到 {MAX_PERSONS:,} 之间的整数")
            persons = 1
        escalation = ESCALATIONS.get(text_of("escalation"))
        if escalation is None:
            problem("escalation", text_of("escalation"), "层级应为本级、到市、到省或进京")
        flags = {}
        for field_name in ("is_repeat", "is_collective"):
            value = _flag(text_of(field_name))
            if value is None:
                problem(field_name, text_of(field_name), "应为“是”或“否”")
            flags[field_name] = bool(value)
        result = text_of("satisfaction")
        if result and result not in SATISFACTION:
            problem("satisfaction", result, "评价结果应为满意、基本满意或不满意")
        unit_text = text_of("unit")
        unit_id = unit_ids.get(unit_text) if unit_text else (unit_ids.get(town[0]) if town else None)
        if unit_text and unit_id is None:
            problem("unit", unit_text, "责任单位不在单位名单中")
        if problems:
            plan.problems.extend(problems)
            continue
        county = town[1]
        closed = dates.get("closed_on")
        status_text = text_of("status")
        status = "已办结" if closed else ("办理中" if dates.get("accepted_on") or "办" in status_text
                                           else "待受理")
        id_no = text_of("petitioner_id_no")
        plan.rows.append({
            "case_no": case_no, "received_on": received, "channel": channel, "person_count": persons,
            "is_collective": flags["is_collective"] or persons >= 5, "escalation": escalation,
            "is_repeat": flags["is_repeat"], "category": category, "subcategory": None,
            "purpose": text_of("purpose") or None, "county_code": county, "township_code": town[0],
            "village_code": village_of.get((town[0], text_of("village"))),
            "lon": None, "lat": None, "summary": text_of("summary") or None, "unit_id": unit_id,
            "dispatched_on": dates.get("accepted_on"), "accepted_on": dates.get("accepted_on"),
            "due_on": dates.get("due_on"), "extended_due_on": None, "closed_on": closed,
            "resolved_on": None, "status": status, "list_type": None,
            "petitioner_name": text_of("petitioner_name") or None,
            "petitioner_phone": text_of("petitioner_phone") or None,
            "petitioner_id_no": id_no or None,
            "petitioner_key": hashlib.sha256(id_no.encode()).hexdigest()[:20] if id_no else None,
        })
        plan.row_numbers.append(line)
        if result:
            plan.evaluations.append({"case_no": case_no, "evaluated_on": closed or received,
                                     "method": "电话回访", "result": result})
    plan.unknown_townships = sorted(unknown)
    return plan


def check_jurisdiction(engine: Engine, plan: ImportPlan, county: str | None,
                       township: str | None) -> ImportPlan:
    """Adds a problem for every row outside an account's jurisdiction (a county, or a township
    of it; None for the whole database): its 问题属地 elsewhere, or its 信访件编号 already a case
    of another place (a file must not move a case into the jurisdiction, nor rate or list a case
    of another place: case, evaluation and key-case lists alike)."""
    if not county and not township:
        return plan

    def inside(row_county, row_township) -> bool:
        return (not county or row_county == county) and (not township or row_township == township)

    outside = [(row, line) for row, line in zip(plan.rows, plan.row_numbers)
               if "township_code" in row and not inside(row["county_code"], row["township_code"])]
    for row, line in outside:
        plan.problems.append(Problem(line, FIELD_LABELS["township"], row["township_code"],
                                     "问题属地不在本账号的辖区内"))
    numbers = [row["case_no"] for row in plan.rows]
    elsewhere: set[str] = set()
    with explained("核对信访件所属辖区"), engine.connect() as conn:
        for start in range(0, len(numbers), 500):
            chunk = numbers[start:start + 500]
            found = conn.execute(select(schema.cases.c.case_no, schema.cases.c.county_code,
                                        schema.cases.c.township_code)
                                 .where(schema.cases.c.case_no.in_(chunk))).fetchall()
            elsewhere |= {no for no, c, t in found if not inside(c, t)}
    for row, line in zip(plan.rows, plan.row_numbers):
        if row["case_no"] in elsewhere:
            plan.problems.append(Problem(line, FIELD_LABELS["case_no"], row["case_no"],
                                         "该编号已是本账号辖区以外的信访件，不能由本账号导入或更改"))
    return plan


def excluding(plan: ImportPlan, rows: set[int]) -> ImportPlan:
    """The plan without the rows the user chose to leave out (and their problems)."""
    kept = [(r, n) for r, n in zip(plan.rows, plan.row_numbers) if n not in rows]
    kept_nos = {r["case_no"] for r, _n in kept}
    return ImportPlan(rows=[r for r, _n in kept], row_numbers=[n for _r, n in kept],
                      evaluations=[e for e in plan.evaluations if e["case_no"] in kept_nos],
                      problems=[p for p in plan.problems if p.row not in rows],
                      mapping=plan.mapping, header_row=plan.header_row,
                      unknown_townships=plan.unknown_townships)


UNNAMED = Source("（未记录文件名）", "", "cli")


def write_plan(engine: Engine, plan: ImportPlan, source: Source = UNNAMED,
               on_wait: Callable[[str], None] | None = None) -> ImportResult:
    """Writes all rows as one batch in one transaction (upsert on 信访件编号), or nothing when any
    problem is left or the database refuses (ImportRefused)."""
    if plan.problems:
        raise ImportRefused(f"还有 {len(plan.problems)} 个问题未处理，未写入任何数据")
    table = schema.cases
    inserted = updated = unchanged = 0
    columns = [c for c in plan.rows[0]] if plan.rows else []
    with batch(engine, "cases", source, on_wait) as (conn, batch_id):
        numbers = [r["case_no"] for r in plan.rows]
        existing = {}
        for start in range(0, len(numbers), 500):
            chunk = numbers[start:start + 500]
            for row in conn.execute(select(*[table.c[c] for c in columns])
                                    .where(table.c.case_no.in_(chunk))).mappings():
                existing[row["case_no"]] = dict(row)
        changed = [r for r in plan.rows if r["case_no"] not in existing
                   or any(_differs(existing[r["case_no"]][c], r[c]) for c in columns)]
        evaluated = [e["case_no"] for e in plan.evaluations]

        def new(case_no: str) -> bool:  # a new case has no row, nor an evaluation (foreign key)
            return case_no not in existing

        remember(conn, batch_id, "cases", [r["case_no"] for r in changed], absent=new)
        remember(conn, batch_id, "evaluations", evaluated, absent=new)
        # Months whose cases changed are recomputed; new cases are added to the rollups.
        new_rows, added_months, keys = [], set(), set()
        changed_months = _rerated_months(conn, plan.evaluations, existing)
        for row in plan.rows:
            before = existing.get(row["case_no"])
            if before is None:
                new_rows.append(row)
                added_months.add(rollups.as_date(row["received_on"]))
                inserted += 1
            elif any(_differs(before[c], row[c]) for c in columns):
                conn.execute(table.update().where(table.c.case_no == row["case_no"])
                             .values(**row, batch_id=batch_id))
                changed_months |= {rollups.as_date(row["received_on"]),
                                   rollups.as_date(before["received_on"])}
                keys |= {before.get("petitioner_key"), row["petitioner_key"]}
                updated += 1
            else:
                unchanged += 1
        insert_rows(conn, table, [{**row, "batch_id": batch_id} for row in new_rows])
        rated = [no for no in evaluated if not new(no)]
        for start in range(0, len(rated), 500):
            conn.execute(schema.evaluations.delete().where(
                schema.evaluations.c.case_no.in_(rated[start:start + 500])))
        insert_rows(conn, schema.evaluations, [{**e, "batch_id": batch_id} for e in plan.evaluations])
        # The new cases' petitioners are counted with them; those a changed case left, here.
        rollups.refresh(conn, changed_months, batch_id, added_months)
        rollups.recount_petitioners(conn, {k for k in keys if k})
        search_index.refresh(conn, [i for (i,) in conn.execute(
            select(table.c.id).where(table.c.batch_id == batch_id))])
        write_setting(conn, schema.DEMO_BANNER_KEY, "real")
        conn.execute(schema.settings.delete().where(schema.settings.c.key == schema.AS_OF_KEY))
        close_batch(conn, batch_id, len(plan.rows))
    return ImportResult(inserted, updated, unchanged, batch_id)


def _rerated_months(conn, evaluations: list[dict], existing: dict[str, dict]) -> set[date]:
    """The registration months of cases already there whose evaluation the file changes."""
    mine = {e["case_no"]: e for e in evaluations if e["case_no"] in existing}
    kept: dict[str, tuple] = {}
    e = schema.evaluations
    numbers = list(mine)
    for start in range(0, len(numbers), 500):
        for row in conn.execute(select(e.c.case_no, e.c.evaluated_on, e.c.method, e.c.result)
                                .where(e.c.case_no.in_(numbers[start:start + 500]))):
            kept[row.case_no] = (rollups.as_date(row.evaluated_on), row.method, row.result)
    return {rollups.as_date(existing[no]["received_on"]) for no, new in mine.items()
            if kept.get(no) != (new["evaluated_on"], new["method"], new["result"])}


def _differs(before, after) -> bool:
    if isinstance(after, date) and isinstance(before, str):
        before = date.fromisoformat(before[:10])
    if isinstance(after, bool):
        before = bool(before) if before is not None else None
    return before != after
