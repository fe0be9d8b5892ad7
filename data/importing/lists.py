"""Evaluation and key-case lists keyed on 信访件编号: checked against the cases in the database and
against what both databases store, then written as one batch that replaces the listed cases' rows."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable

import pandas as pd
from sqlalchemy import Engine, select

from data import rollups, schema
from data.importing.batches import Source, batch, close_batch, explained, remember
from data.importing.cases import COLUMN_ALIASES, SATISFACTION, UNNAMED, ImportPlan, ImportResult
from data.importing.checks import (
    DEADLINE_YEARS, ImportRefused, Problem, best_header, clean, day_problem, header_names,
    parse_date, text_problem, whole_number, years_after,
)


@dataclass(frozen=True)
class ListSpec:
    """A simple list keyed on 信访件编号: its fields, their column names, which are required."""

    name: str
    table: object
    aliases: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    dates: tuple[str, ...]
    kind: str  # the batch kind


EVALUATION_LIST = ListSpec(
    "满意度评价", schema.evaluations,
    {"case_no": COLUMN_ALIASES["case_no"], "evaluated_on": ("评价日期", "回访日期", "评价时间"),
     "method": ("评价方式", "回访方式"), "result": ("评价结果", "满意度", "满意度评价")},
    ("case_no", "evaluated_on", "result"), ("evaluated_on",), "evaluations")
KEY_CASE_LIST = ListSpec(
    "重点案件", schema.key_cases,
    {"case_no": COLUMN_ALIASES["case_no"], "listed_on": ("列入日期", "交办日期", "建档日期"),
     "leader": ("包案领导", "包案领导姓名"), "requirements": ("工作要求", "化解要求"),
     "resolve_by": ("化解时限", "办结时限", "时限"), "progress_pct": ("化解进度", "进度", "进度（%）"),
     "stage": ("阶段", "化解阶段", "状态"), "cleared_on": ("销号日期", "销号时间")},
    ("case_no", "leader", "resolve_by"), ("listed_on", "resolve_by", "cleared_on"), "key-cases")
METHODS = {"电话": "电话回访", "电话回访": "电话回访", "微信": "微信", "app": "App", "手机app": "App",
           "短信": "电话回访", "": "电话回访"}
DATE_NAMES = {"evaluated_on": "评价日期", "listed_on": "列入日期", "resolve_by": "化解时限",
              "cleared_on": "销号日期"}


def plan_list(engine: Engine, frame: pd.DataFrame, spec: ListSpec, today: date | None = None
              ) -> ImportPlan:
    """Checks an evaluation or key-case list against the cases in the database; writes nothing."""
    today = today or date.today()
    plan = ImportPlan()
    best, best_map = best_header(frame, spec.aliases)
    plan.header_row, plan.mapping = best, best_map
    missing = [f for f in spec.required if f not in best_map]
    if best < 0 or missing:
        for f in missing or spec.required:
            plan.problems.append(Problem(None, spec.aliases[f][0], None,
                                         f"缺少必需的列“{spec.aliases[f][0]}”"))
        return plan
    headers = header_names(frame.iloc[best])
    position = {f: headers.index(c) for f, c in best_map.items()}
    with explained("读取信访件编号"), engine.connect() as conn:
        known = {r[0] for r in conn.execute(select(schema.cases.c.case_no))}
    seen: dict[str, int] = {}
    for index in range(best + 1, len(frame)):
        raw = frame.iloc[index]
        if not any(clean(v) for v in raw):
            continue
        line = int(frame.index[index]) + 1
        value = {f: raw.iloc[p] for f, p in position.items() if p < len(raw)}
        problems = []

        def problem(f, message):
            problems.append(Problem(line, best_map.get(f, spec.aliases[f][0]), clean(value.get(f)),
                                    message))

        for f in position:
            column = spec.table.c.get(f)
            text = clean(value.get(f))
            why = (text_problem(text, column) if column is not None and f not in spec.dates
                   and f != "progress_pct"
                   else "含有空字符（NUL），请删除后重新导出" if "\x00" in text else None)
            if why:
                problem(f, why)
        if problems:
            plan.problems.extend(problems)
            continue
        case_no = clean(value.get("case_no"))
        if not case_no:
            problem("case_no", "信访件编号为空")
        elif case_no not in known:
            problem("case_no", "数据库中没有这个信访件（请先导入信访件清单）")
        elif case_no in seen:
            problem("case_no", f"信访件编号与第 {seen[case_no]} 行重复")
        seen.setdefault(case_no, line)
        row = {"case_no": case_no}
        for f in spec.dates:
            try:
                row[f] = parse_date(value.get(f))
            except (ValueError, OverflowError) as exc:
                problem(f, str(exc) or "不是有效日期")
                row[f] = None
            if f in spec.required and row[f] is None and not any(p.column == best_map.get(f)
                                                                 for p in problems):
                problem(f, "日期为空")
        for f in spec.dates:
            start = row.get("listed_on") if f == "resolve_by" else None
            limit = (years_after(start or today, DEADLINE_YEARS) if f == "resolve_by" else None)
            why = day_problem(row.get(f), today, DATE_NAMES[f], start, "列入日期", limit)
            if why:
                problem(f, why)
        if spec is EVALUATION_LIST:
            result = clean(value.get("result"))
            if result not in SATISFACTION:
                problem("result", "评价结果应为满意、基本满意或不满意")
            method = METHODS.get(clean(value.get("method")).lower(), clean(value.get("method")))
            row.update(method=method or "电话回访", result=result)
        else:
            leader = clean(value.get("leader"))
            if not leader:
                problem("leader", "包案领导为空")
            try:
                progress = whole_number(clean(value.get("progress_pct")).rstrip("%") or "0", 0, 100)
            except ValueError:
                problem("progress_pct", "化解进度应为 0 到 100 的整数")
                progress = 0
            cleared = row.get("cleared_on")
            stage = clean(value.get("stage")) or ("已销号" if cleared else "化解中")
            why = text_problem(stage, schema.key_cases.c.stage)
            if why:
                problem("stage", why)
            row.update(leader=leader, requirements=clean(value.get("requirements")) or None,
                       progress_pct=100 if cleared else progress, stage=stage,
                       listed_on=row.get("listed_on") or row.get("resolve_by") or today)
        if problems:
            plan.problems.extend(problems)
            continue
        plan.rows.append(row)
        plan.row_numbers.append(line)
    return plan


def write_list(engine: Engine, plan: ImportPlan, spec: ListSpec, source: Source = UNNAMED,
               on_wait: Callable[[str], None] | None = None) -> ImportResult:
    """Replaces the listed cases' rows as one batch in one transaction (all or nothing)."""
    if plan.problems:
        raise ImportRefused(f"还有 {len(plan.problems)} 个问题未处理，未写入任何数据")
    table = spec.table
    numbers = [r["case_no"] for r in plan.rows]
    with batch(engine, spec.kind, source, on_wait) as (conn, batch_id):
        existing = set()
        for start in range(0, len(numbers), 500):
            existing.update(r[0] for r in conn.execute(select(table.c.case_no).where(
                table.c.case_no.in_(numbers[start:start + 500]))))
        remember(conn, batch_id, table.name, numbers)
        for start in range(0, len(numbers), 500):
            conn.execute(table.delete().where(table.c.case_no.in_(numbers[start:start + 500])))
        if plan.rows:
            conn.execute(table.insert(), [{**r, "batch_id": batch_id} for r in plan.rows])
        if table is schema.evaluations and plan.rows:
            touched = set()
            for start in range(0, len(numbers), 500):
                touched.update(rollups.as_date(r[0]) for r in conn.execute(
                    select(schema.cases.c.received_on)
                    .where(schema.cases.c.case_no.in_(numbers[start:start + 500]))))
            rollups.refresh(conn, touched)
        close_batch(conn, batch_id, len(plan.rows))
    updated = sum(n in existing for n in numbers)
    return ImportResult(len(plan.rows) - updated, updated, 0, batch_id)
