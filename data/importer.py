"""Importing an office's own case list: read .xlsx/.xls/.csv (UTF-8 or GBK), find the header row,
recognise the usual Chinese column names, validate every row, then write all or nothing."""
from __future__ import annotations

import hashlib
import io
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select

from data import rollups, schema, search_index
from data.database import write_setting
from queries import defaults

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
CHANNELS = {"来信": "来信", "信": "来信", "来访": "来访", "走访": "来访", "网上信访": "网上信访",
            "网信": "网上信访", "网上": "网上信访", "电话": "电话", "12345": "电话",
            "手机app": "手机App", "app": "手机App", "微信": "微信"}
ESCALATIONS = {"": "本级", "本级": "本级", "否": "本级", "无": "本级", "到市": "到市", "赴市": "到市",
               "到省": "到省", "赴省": "到省", "进京": "进京", "赴京": "进京"}
YES = {"是", "y", "yes", "1", "true", "√", "重复", "集体"}
NO = {"否", "n", "no", "0", "false", "", "初信初访", "初次"}
SATISFACTION = {"满意": "满意", "基本满意": "基本满意", "不满意": "不满意"}
DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?(?:\s*.*)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
EXCEL_EPOCH = date(1899, 12, 30)


@dataclass
class Problem:
    row: int | None      # the row number as the office sees it in the file (1-based), None: the file
    column: str | None
    value: str | None
    message: str

    def text(self) -> str:
        where = "文件" if self.row is None else f"第 {self.row} 行"
        if self.column:
            where += f"「{self.column}」列"
        value = "" if self.value in (None, "") else f"（值：{self.value}）"
        return f"{where}：{self.message}{value}"


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


class ImportError_(ValueError):
    """A file that cannot be read at all (Chinese message)."""


def read_table(content: bytes, filename: str) -> pd.DataFrame:
    """Every cell as text (or date/number as the file stores it), no header applied."""
    suffix = Path(filename).suffix.lower()
    if not content:
        raise ImportError_(f"文件 {filename} 是空的")
    try:
        if suffix == ".csv":
            for encoding in ("utf-8-sig", "gb18030"):
                try:
                    text = content.decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue
            else:
                raise ImportError_(f"文件 {filename} 的编码无法识别（支持 UTF-8 和 GBK/GB18030）")
            frame = pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False,
                                skip_blank_lines=False)
        elif suffix in (".xlsx", ".xlsm"):
            frame = pd.read_excel(io.BytesIO(content), header=None, dtype=object, engine="openpyxl")
        elif suffix == ".xls":
            frame = pd.read_excel(io.BytesIO(content), header=None, dtype=object, engine="xlrd")
        else:
            raise ImportError_(f"不支持的文件类型 {suffix or '（无扩展名）'}：请用 .xlsx、.xls 或 .csv")
    except ImportError_:
        raise
    except pd.errors.EmptyDataError as exc:
        raise ImportError_(f"文件 {filename} 没有内容") from exc
    except Exception as exc:  # a damaged or mislabelled file
        raise ImportError_(f"文件 {filename} 无法读取：{exc.__class__.__name__}，请确认文件未损坏、"
                           "扩展名与内容一致") from exc
    frame = frame.dropna(how="all")
    if frame.empty:
        raise ImportError_(f"文件 {filename} 没有内容")
    return frame


def _clean(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def best_header(frame: pd.DataFrame, aliases: dict[str, tuple[str, ...]], scan: int = 20
                ) -> tuple[int, dict[str, str]]:
    """The row (position in frame) that names the most known columns, and field -> column;
    (-1, {}) when no row names any."""
    best, best_mapping = -1, {}
    for position in range(min(scan, len(frame))):
        names = [_clean(v).replace(" ", "").replace("\n", "") for v in frame.iloc[position]]
        mapping = {f: next(a for a in names_ if a in names) for f, names_ in aliases.items()
                   if any(a in names for a in names_)}
        if len(mapping) > len(best_mapping):
            best, best_mapping = position, mapping
    return best, best_mapping


def find_header(frame: pd.DataFrame, scan: int = 20) -> tuple[int, dict[str, str]]:
    """The case list's header row and field -> column; a clear message when there is none."""
    best, best_mapping = best_header(frame, COLUMN_ALIASES, scan)
    if len(best_mapping) < 2:
        raise ImportError_("找不到表头：前 20 行中没有一行包含“信访件编号”“登记日期”“问题属地”等常用列名")
    return best, best_mapping


def parse_date(value) -> date | None:
    """A date as offices write it; None for empty; ValueError when it is not a date."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20000 <= value <= 80000:
            return EXCEL_EPOCH + timedelta(days=int(value))
        raise ValueError("不是有效日期")
    text = str(value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return parse_date(float(text))
    for pattern in DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError as exc:
                raise ValueError("不是有效日期") from exc
    raise ValueError("日期格式无法识别（可用 2024-03-05、2024/3/5、2024年3月5日）")


def _flag(text: str) -> bool | None:
    lowered = text.lower()
    if lowered in YES:
        return True
    if lowered in NO:
        return False
    return None


def plan_import(engine: Engine, frame: pd.DataFrame, mapping: dict[str, str] | None = None,
                header_row: int | None = None, today: date | None = None) -> ImportPlan:
    """Validates every row against the database's places and units; writes nothing."""
    plan = ImportPlan()
    if header_row is None or mapping is None:
        found_row, found_mapping = find_header(frame)
        header_row = found_row if header_row is None else header_row
        mapping = {**found_mapping, **(mapping or {})}
    plan.header_row, plan.mapping = header_row, mapping
    headers = [_clean(v).replace(" ", "").replace("\n", "") for v in frame.iloc[header_row]]
    for field_name in REQUIRED:
        if field_name not in mapping or mapping[field_name] not in headers:
            plan.problems.append(Problem(None, FIELD_LABELS[field_name], None,
                                         f"缺少必需的列“{FIELD_LABELS[field_name]}”"
                                         f"（可用列名：{'、'.join(COLUMN_ALIASES[field_name])}）"))
    if plan.problems:
        return plan
    position = {field_name: headers.index(column) for field_name, column in mapping.items()
                if column in headers}
    with engine.connect() as conn:
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
    for index in range(header_row + 1, len(frame)):
        raw = frame.iloc[index]
        line = int(frame.index[index]) + 1  # the row number in the file

        def cell(field_name: str):
            return raw.iloc[position[field_name]] if field_name in position else None

        def text_of(field_name: str) -> str:
            return _clean(cell(field_name))

        if not any(_clean(v) for v in raw):
            continue
        problems: list[Problem] = []

        def problem(field_name: str, value, message: str) -> None:
            problems.append(Problem(line, mapping.get(field_name, FIELD_LABELS[field_name]),
                                    _clean(value), message))

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
            except ValueError as exc:
                problem(field_name, cell(field_name), str(exc))
                dates[field_name] = None
        if dates.get("received_on") is None and not any(p.column == mapping["received_on"]
                                                        for p in problems):
            problem("received_on", "", "登记日期为空")
        received = dates.get("received_on")
        if received and received > today:
            problem("received_on", cell("received_on"), "登记日期晚于今天")
        if received and dates.get("closed_on") and dates["closed_on"] < received:
            problem("closed_on", cell("closed_on"), "办结日期早于登记日期")
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
        persons_text = text_of("person_count") or "1"
        try:
            persons = int(float(persons_text))
            if persons < 1:
                raise ValueError
        except ValueError:
            problem("person_count", persons_text, "信访人数应为正整数")
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


def excluding(plan: ImportPlan, rows: set[int]) -> ImportPlan:
    """The plan without the rows the user chose to leave out (and their problems)."""
    kept = [(r, n) for r, n in zip(plan.rows, plan.row_numbers) if n not in rows]
    kept_nos = {r["case_no"] for r, _n in kept}
    return ImportPlan(rows=[r for r, _n in kept], row_numbers=[n for _r, n in kept],
                      evaluations=[e for e in plan.evaluations if e["case_no"] in kept_nos],
                      problems=[p for p in plan.problems if p.row not in rows],
                      mapping=plan.mapping, header_row=plan.header_row,
                      unknown_townships=plan.unknown_townships)


@dataclass(frozen=True)
class ImportResult:
    inserted: int
    updated: int
    unchanged: int


def write_plan(engine: Engine, plan: ImportPlan) -> ImportResult:
    """Writes all rows in one transaction (upsert on 信访件编号), or nothing when any problem is left."""
    if plan.problems:
        raise ImportError_(f"还有 {len(plan.problems)} 个问题未处理，未写入任何数据")
    table = schema.cases
    inserted = updated = unchanged = 0
    columns = [c for c in plan.rows[0]] if plan.rows else []
    with engine.begin() as conn:
        existing = {}
        numbers = [r["case_no"] for r in plan.rows]
        for start in range(0, len(numbers), 500):
            chunk = numbers[start:start + 500]
            for row in conn.execute(select(*[table.c[c] for c in columns])
                                    .where(table.c.case_no.in_(chunk))).mappings():
                existing[row["case_no"]] = dict(row)
        new_rows = []
        touched = set()
        for row in plan.rows:
            before = existing.get(row["case_no"])
            touched.add(rollups.as_date(row["received_on"]))
            if before is not None:
                touched.add(rollups.as_date(before["received_on"]))
            if before is None:
                new_rows.append(row)
                inserted += 1
            elif any(_differs(before[c], row[c]) for c in columns):
                conn.execute(table.update().where(table.c.case_no == row["case_no"]).values(**row))
                updated += 1
            else:
                unchanged += 1
        if new_rows:
            conn.execute(table.insert(), new_rows)
        for evaluation in plan.evaluations:
            conn.execute(schema.evaluations.delete().where(
                schema.evaluations.c.case_no == evaluation["case_no"]))
        if plan.evaluations:
            conn.execute(schema.evaluations.insert(), plan.evaluations)
        rollups.refresh(conn, touched)
        search_index.refresh(conn, [r[0] for start in range(0, len(numbers), 500)
                                    for r in conn.execute(select(table.c.id).where(
                                        table.c.case_no.in_(numbers[start:start + 500])))])
        write_setting(conn, defaults.DEMO_BANNER_KEY, "real")
        conn.execute(schema.settings.delete().where(schema.settings.c.key == defaults.AS_OF_KEY))
    return ImportResult(inserted, updated, unchanged)


def _differs(before, after) -> bool:
    if isinstance(after, date) and isinstance(before, str):
        before = date.fromisoformat(before[:10])
    if isinstance(after, bool):
        before = bool(before) if before is not None else None
    return before != after


def remove_demo_cases(engine: Engine) -> int:
    """Deletes the demo's cases, key cases, evaluations and events in one step; keeps the places
    and units (real names and codes) so that the office's own data can be loaded against them."""
    with engine.begin() as conn:
        count = conn.execute(select(schema.cases.c.id)).fetchall()
        for table in (schema.case_events, schema.evaluations, schema.key_cases, schema.cases,
                      schema.rollup_daily, schema.rollup_monthly, schema.rollup_grid,
                      schema.rollup_arrivals, schema.rollup_arrivals_monthly,
                      schema.rollup_petitioners):
            conn.execute(table.delete())
        search_index.rebuild(conn)
        conn.execute(schema.settings.delete().where(schema.settings.c.key.in_(
            [defaults.AS_OF_KEY, "demo_profile", "demo_seed", "planted_clusters"])))
        write_setting(conn, defaults.DEMO_BANNER_KEY, "empty")
    return len(count)


# ---- evaluation lists and key-case lists -------------------------------------------------------

@dataclass(frozen=True)
class ListSpec:
    """A simple list keyed on 信访件编号: its fields, their column names, which are required."""

    name: str
    table: object
    aliases: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    dates: tuple[str, ...]


EVALUATION_LIST = ListSpec(
    "满意度评价", schema.evaluations,
    {"case_no": COLUMN_ALIASES["case_no"], "evaluated_on": ("评价日期", "回访日期", "评价时间"),
     "method": ("评价方式", "回访方式"), "result": ("评价结果", "满意度", "满意度评价")},
    ("case_no", "evaluated_on", "result"), ("evaluated_on",))
KEY_CASE_LIST = ListSpec(
    "重点案件", schema.key_cases,
    {"case_no": COLUMN_ALIASES["case_no"], "listed_on": ("列入日期", "交办日期", "建档日期"),
     "leader": ("包案领导", "包案领导姓名"), "requirements": ("工作要求", "化解要求"),
     "resolve_by": ("化解时限", "办结时限", "时限"), "progress_pct": ("化解进度", "进度", "进度（%）"),
     "stage": ("阶段", "化解阶段", "状态"), "cleared_on": ("销号日期", "销号时间")},
    ("case_no", "leader", "resolve_by"), ("listed_on", "resolve_by", "cleared_on"))
METHODS = {"电话": "电话回访", "电话回访": "电话回访", "微信": "微信", "app": "App", "手机app": "App",
           "短信": "电话回访", "": "电话回访"}


def plan_list(engine: Engine, frame: pd.DataFrame, spec: ListSpec, today: date | None = None
              ) -> ImportPlan:
    """Validates an evaluation or key-case list against the cases in the database."""
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
    headers = [_clean(v).replace(" ", "").replace("\n", "") for v in frame.iloc[best]]
    position = {f: headers.index(c) for f, c in best_map.items()}
    with engine.connect() as conn:
        known = {r[0] for r in conn.execute(select(schema.cases.c.case_no))}
    seen: dict[str, int] = {}
    for index in range(best + 1, len(frame)):
        raw = frame.iloc[index]
        if not any(_clean(v) for v in raw):
            continue
        line = int(frame.index[index]) + 1
        value = {f: raw.iloc[p] for f, p in position.items()}
        problems = []

        def problem(f, message):
            problems.append(Problem(line, best_map.get(f, spec.aliases[f][0]), _clean(value.get(f)),
                                    message))

        case_no = _clean(value.get("case_no"))
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
            except ValueError as exc:
                problem(f, str(exc))
                row[f] = None
            if f in spec.required and row[f] is None and not any(p.column == best_map.get(f)
                                                                 for p in problems):
                problem(f, "日期为空")
        if spec is EVALUATION_LIST:
            result = _clean(value.get("result"))
            if result not in SATISFACTION:
                problem("result", "评价结果应为满意、基本满意或不满意")
            method = METHODS.get(_clean(value.get("method")).lower(), _clean(value.get("method")))
            row.update(method=method or "电话回访", result=result)
        else:
            leader = _clean(value.get("leader"))
            if not leader:
                problem("leader", "包案领导为空")
            progress_text = _clean(value.get("progress_pct")).rstrip("%") or "0"
            try:
                progress = int(float(progress_text))
                if not 0 <= progress <= 100:
                    raise ValueError
            except ValueError:
                problem("progress_pct", "化解进度应为 0 到 100 的数")
                progress = 0
            cleared = row.get("cleared_on")
            if cleared and cleared > today:
                problem("cleared_on", "销号日期晚于今天")
            row.update(leader=leader, requirements=_clean(value.get("requirements")) or None,
                       progress_pct=100 if cleared else progress,
                       stage=_clean(value.get("stage")) or ("已销号" if cleared else "化解中"),
                       listed_on=row.get("listed_on") or row.get("resolve_by") or today)
        if problems:
            plan.problems.extend(problems)
            continue
        plan.rows.append(row)
        plan.row_numbers.append(line)
    return plan


def write_list(engine: Engine, plan: ImportPlan, spec: ListSpec) -> ImportResult:
    """Replaces the listed cases' rows in one transaction (all or nothing)."""
    if plan.problems:
        raise ImportError_(f"还有 {len(plan.problems)} 个问题未处理，未写入任何数据")
    table = spec.table
    with engine.begin() as conn:
        existing = {r[0] for r in conn.execute(select(table.c.case_no).where(
            table.c.case_no.in_([r["case_no"] for r in plan.rows])))}
        for row in plan.rows:
            conn.execute(table.delete().where(table.c.case_no == row["case_no"]))
        if plan.rows:
            conn.execute(table.insert(), plan.rows)
        if table is schema.evaluations and plan.rows:
            numbers = [r["case_no"] for r in plan.rows]
            touched = set()
            for start in range(0, len(numbers), 500):
                touched.update(rollups.as_date(r[0]) for r in conn.execute(
                    select(schema.cases.c.received_on)
                    .where(schema.cases.c.case_no.in_(numbers[start:start + 500]))))
            rollups.refresh(conn, touched)
    updated = sum(r["case_no"] in existing for r in plan.rows)
    return ImportResult(len(plan.rows) - updated, updated, 0)


# ---- township boundaries -------------------------------------------------------------------------

_A, _EE = 6378245.0, 0.00669342162296594323  # Krasovsky 1940, the parameters GCJ-02 is built on


def _in_china(lon: float, lat: float) -> bool:
    return 72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271


def _gcj_offset(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - 105.0, lat - 35.0
    d_lat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * abs(x) ** 0.5
             + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
             + (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
             + (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0)
    d_lon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * abs(x) ** 0.5
             + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
             + (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
             + (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return d_lon, d_lat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    if not _in_china(lon, lat):
        return lon, lat
    d_lon, d_lat = _gcj_offset(lon, lat)
    return lon + d_lon, lat + d_lat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """The inverse by fixed-point iteration (to well under a metre)."""
    if not _in_china(lon, lat):
        return lon, lat
    wlon, wlat = lon, lat
    for _ in range(6):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        wlon, wlat = wlon - (glon - lon), wlat - (glat - lat)
    return wlon, wlat


@dataclass
class BoundaryPlan:
    matched: dict[str, str] = field(default_factory=dict)   # township code -> GeoJSON geometry text
    unmatched: list[str] = field(default_factory=list)       # feature names/codes not found
    missing: list[str] = field(default_factory=list)         # townships with no feature
    problems: list[Problem] = field(default_factory=list)


def plan_boundaries(engine: Engine, content: bytes, name_property: str | None,
                    code_property: str | None, gcj02: bool, county_code: str | None = None
                    ) -> BoundaryPlan:
    """Matches a GeoJSON of township boundaries to the townships by code or name."""
    import json

    import shapely
    from shapely.geometry import mapping, shape

    plan = BoundaryPlan()
    try:
        data = json.loads(content.decode("utf-8-sig"))
        features = data["features"] if data.get("type") == "FeatureCollection" else [data]
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, AttributeError) as exc:
        plan.problems.append(Problem(None, None, None, f"不是有效的 GeoJSON 文件（{exc.__class__.__name__}）"))
        return plan
    with engine.connect() as conn:
        query = select(schema.regions.c.code, schema.regions.c.name).where(
            schema.regions.c.level == "township")
        if county_code:
            query = query.where(schema.regions.c.parent_code == county_code)
        towns = conn.execute(query).fetchall()
    by_code = {code: code for code, _name in towns} | {code[:9]: code for code, _name in towns}
    by_name = {name: code for code, name in towns}
    for number, feature in enumerate(features, start=1):
        props = feature.get("properties") or {}
        code = str(props.get(code_property, "")).strip() if code_property else ""
        name = str(props.get(name_property, "")).strip() if name_property else ""
        town = by_code.get(code) or by_code.get(code[:9]) or by_name.get(name)
        label = name or code or f"第 {number} 个要素"
        if town is None:
            plan.unmatched.append(label)
            continue
        try:
            geometry = shape(feature["geometry"])
            if gcj02:
                geometry = shapely.transform(geometry, _gcj_many)
            if not geometry.is_valid:
                geometry = geometry.buffer(0)
            if geometry.geom_type not in ("Polygon", "MultiPolygon") or geometry.is_empty:
                raise ValueError("不是面要素")
        except Exception as exc:  # noqa: BLE001 - any broken geometry is reported the same way
            plan.problems.append(Problem(number, name_property, label, f"边界无法使用：{exc}"))
            continue
        plan.matched[town] = json.dumps(mapping(geometry))
    plan.missing = sorted(name for code, name in towns if code not in plan.matched)
    return plan


def _gcj_many(coords):
    import numpy as np

    return np.array([gcj02_to_wgs84(x, y) for x, y in coords])


def write_boundaries(engine: Engine, plan: BoundaryPlan) -> int:
    """Replaces the matched townships' areas and centres; the areas are no longer schematic."""
    import json

    from shapely.geometry import shape

    if plan.problems:
        raise ImportError_(f"还有 {len(plan.problems)} 个问题未处理，未写入任何数据")
    with engine.begin() as conn:
        for code, geometry in plan.matched.items():
            centre = shape(json.loads(geometry)).representative_point()
            conn.execute(schema.regions.update().where(schema.regions.c.code == code).values(
                boundary=geometry, boundary_schematic=False, lon=round(centre.x, 6),
                lat=round(centre.y, 6)))
    return len(plan.matched)
