"""综合查询: cases found by number, words of their content, petitioner, leader or unit, within the
filters; one case's file, its timeline, and its petitioner's other cases.

Text search goes through data/search_index.py's structures: FTS5 (trigram for three characters or
more, character pairs for two) on SQLite; pg_trgm and a character-pair GIN index on PostgreSQL.
A petitioner's name, phone or ID number matches on the full value only, through its own index,
and is never returned unmasked.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Mapping

import pandas as pd
from sqlalchemy import Engine

from queries import defaults
from queries.execute import fetch_frame
from queries.filters import Filters
from queries.personal import mask_name
from queries.rates import (
    CLOSED, DEADLINE, EVALUATED, OPEN, OVERDUE_OPEN, key_clear_definition, rate_definitions,
    rate_params,
)
from queries.scope import Scope

# 办理状态 -> the rate it fails (in the rate's denominator, not in its numerator), for the last four.
MISSED = {"未及时受理": "timely_accept", "未按期办结": "ontime_close", "未参评": "participation",
          "不满意": "satisfaction"}
STATUSES = ("在办", "逾期", "办结", "已评价", "不满意", "未及时受理", "未按期办结", "未参评")
ESCALATION_CHOICES = ("越级", "到市", "到省", "进京")
SHOWN_ROWS = 500  # rows drawn under 共 N 件; the count is always the true total
# PostgreSQL's memory for a search: a common word's matches (a million rows of ten million) kept as
# an exact bitmap; with the default 4 MB it turns lossy and every row of its pages has its
# character pairs recomputed (89 s instead of 3 s on ten million cases).
SEARCH_WORK_MEM_MB = 64
MIN_TEXT_CHARS = 2
MAX_CASE_NOS = 500  # the longest list of case numbers a link may carry
# Which cases the period stands for (None: registered in it). Every one keeps the place, the
# category and the scope; all but registration reach back to cases registered before the period.
_KEY_CLEAR = key_clear_definition()
OPEN_AT_END = "c.received_on <= :f_end AND (c.closed_on IS NULL OR c.closed_on > :f_end)"
BASES = {
    "dispatched": ("本期交办", "c.received_on <= :f_end AND c.dispatched_on >= :f_start "
                               "AND c.dispatched_on <= :f_end"),
    "closed": ("本期办结", "c.received_on <= :f_end AND c.closed_on >= :f_start "
                           "AND c.closed_on <= :f_end"),
    "backlog": ("期末未办结（存量）", OPEN_AT_END),
    "overdue": ("期末逾期未结", f"{OPEN_AT_END} AND {DEADLINE} < :f_end"),
    # 积案化解率's denominator less its numerator: on the key-case list in the period, not crossed off in it
    "key_open": ("期内未销号的重点案件",
                 "EXISTS (SELECT 1 FROM key_cases k WHERE k.case_no = c.case_no AND "
                 f"{_KEY_CLEAR.denominator} AND NOT {_KEY_CLEAR.numerator})"),
}


@dataclass(frozen=True)
class CaseQuery:
    """What the search box and the filters beyond the shared ones ask for (None: any)."""

    text: str = ""
    channel: str | None = None
    status: str | None = None  # one of STATUSES
    repeat: bool | None = None
    escalation: str | None = None  # one of ESCALATION_CHOICES ('越级': any level above 本级)
    key_case: bool | None = None
    collective: bool | None = None
    village: str | None = None
    unit_id: int | None = None
    basis: str | None = None  # one of BASES
    method: str | None = None  # evaluated by this method
    case_nos: tuple[str, ...] = ()  # just these cases (the period then does not apply)

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", (self.text or "").strip())
        object.__setattr__(self, "case_nos", tuple(dict.fromkeys(
            n.strip() for n in self.case_nos if n and n.strip())))
        if self.basis is not None and self.basis not in BASES:
            raise ValueError(f"统计口径“{self.basis}”无效，可选：{'、'.join(BASES)}")
        if len(self.case_nos) > MAX_CASE_NOS:
            raise ValueError(f"信访件编号清单超过 {MAX_CASE_NOS} 件")
        if self.status is not None and self.status not in STATUSES:
            raise ValueError(f"办理状态“{self.status}”无效，可选：{'、'.join(STATUSES)}")
        if self.escalation is not None and self.escalation not in ESCALATION_CHOICES:
            raise ValueError(f"越级层级“{self.escalation}”无效，可选：{'、'.join(ESCALATION_CHOICES)}")

    @property
    def text_too_short(self) -> bool:
        """A one-character text can only be a whole name, phone or ID number, not a word."""
        return 0 < len(self.text) < MIN_TEXT_CHARS


def case_query_from_params(params: Mapping[str, str]) -> CaseQuery:
    """The CaseQuery of 综合查询's URL parameters (q, status, channel, repeat, escalation, key,
    collective, village, unit, basis, method, cases), values already checked; empty: any."""
    def flag(key: str) -> bool | None:
        value = params.get(key) or ""
        return None if value == "" else value == "1"

    unit = params.get("unit") or ""
    return CaseQuery(
        text=params.get("q") or "", status=params.get("status") or None,
        channel=params.get("channel") or None, repeat=flag("repeat"),
        escalation=params.get("escalation") or None, key_case=flag("key"),
        collective=flag("collective"), village=params.get("village") or None,
        unit_id=int(unit) if unit else None, basis=params.get("basis") or None,
        method=params.get("method") or None,
        case_nos=tuple((params.get("cases") or "").split(",")))


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _text_ids(dialect: str, query: CaseQuery) -> tuple[str, dict]:
    """A SELECT of the ids of cases the search text finds, and its parameters."""
    q = query.text
    params = {"q": q, "q_like": _like(q)}
    parts = ["SELECT id FROM cases WHERE petitioner_phone = :q",
             "SELECT id FROM cases WHERE petitioner_id_no = :q",
             "SELECT id FROM cases WHERE petitioner_name = :q",
             "SELECT id FROM cases WHERE case_no = :q",
             "SELECT c2.id FROM key_cases k JOIN cases c2 ON c2.case_no = k.case_no "
             "WHERE k.leader LIKE :q_like ESCAPE '\\'",
             "SELECT c3.id FROM units u JOIN cases c3 ON c3.unit_id = u.id "
             "WHERE u.name LIKE :q_like ESCAPE '\\'"]
    if len(q) >= 3:
        if dialect == "sqlite":
            params["q_phrase"] = '"' + q.replace('"', '""') + '"'
            parts.append("SELECT rowid AS id FROM case_text WHERE case_text MATCH :q_phrase")
        else:
            parts.append("SELECT id FROM cases WHERE summary ILIKE :q_like ESCAPE '\\' "
                         "OR case_no ILIKE :q_like ESCAPE '\\'")
    elif len(q) == 2 and q.isalnum():
        if dialect == "sqlite":
            params["q_phrase"] = '"' + q + '"'
            parts.append("SELECT rowid AS id FROM case_bigrams WHERE case_bigrams MATCH :q_phrase")
        else:
            parts.append("SELECT id FROM cases WHERE xf_bigrams(summary) @> ARRAY[CAST(:q AS text)]")
    return "\nUNION ".join(parts), params


def _where(engine: Engine, filters: Filters, query: CaseQuery) -> tuple[str, dict]:
    where, params = filters.place_where("c")
    params.update(f_start=filters.start, f_end=filters.end, **rate_params(filters.as_of))
    clauses = [where]
    if query.case_nos:
        params.update({f"n{i}": n for i, n in enumerate(query.case_nos)})
        clauses.append(f"c.case_no IN ({', '.join(f':n{i}' for i in range(len(query.case_nos)))})")
    elif query.basis:
        clauses.append(BASES[query.basis][1])
    else:
        clauses.append("c.received_on >= :f_start AND c.received_on <= :f_end")
    if query.text:
        ids, text_params = _text_ids(engine.dialect.name, query)
        clauses.append(f"c.id IN ({ids})")
        params.update(text_params)
    if query.channel:
        clauses.append("c.channel = :channel")
        params["channel"] = query.channel
    if query.repeat is not None:
        clauses.append("c.is_repeat = :repeat")
        params["repeat"] = query.repeat
    if query.collective is not None:
        clauses.append("c.is_collective = :collective")
        params["collective"] = query.collective
    if query.escalation == "越级":
        clauses.append("c.escalation <> '本级'")
    elif query.escalation:
        clauses.append("c.escalation = :escalation")
        params["escalation"] = query.escalation
    if query.key_case is not None:
        exists = "EXISTS (SELECT 1 FROM key_cases k WHERE k.case_no = c.case_no)"
        clauses.append(exists if query.key_case else f"NOT {exists}")
    if query.village:
        clauses.append("c.village_code = :village")
        params["village"] = query.village
    if query.unit_id is not None:
        clauses.append("c.unit_id = :unit_id")
        params["unit_id"] = int(query.unit_id)
    if query.method:
        clauses.append("EXISTS (SELECT 1 FROM evaluations e WHERE e.case_no = c.case_no "
                       "AND e.evaluated_on <= :as_of AND e.method = :method)")
        params["method"] = query.method
    if query.status:
        clauses.append(_statuses(engine.dialect.name)[query.status])
    return " AND ".join(clauses), params


def _statuses(dialect: str) -> dict[str, str]:
    """Each 办理状态 as a condition on cases c as of :as_of (rates.py's clauses). Those of MISSED
    are the cases a rate counts against: in its denominator, not in its numerator."""
    evaluated = f"SELECT 1 FROM evaluations e WHERE e.case_no = c.case_no AND {EVALUATED}"
    rates = {rate.key: rate for rate in rate_definitions(dialect)}
    missed = {name: f"({rates[key].denominator}) AND NOT ({rates[key].numerator})"
              for name, key in MISSED.items() if key in ("timely_accept", "ontime_close")}
    return {
        "在办": OPEN, "逾期": OVERDUE_OPEN, "办结": CLOSED, "已评价": f"EXISTS ({evaluated})",
        "不满意": f"EXISTS ({evaluated} AND e.result = '不满意')",
        **missed,
        # participation's clauses read evaluations e joined to the case: here the same as EXISTS
        "未参评": f"{CLOSED} AND c.closed_on < :eval_cutoff AND NOT EXISTS ({evaluated})",
    }


def search_count(engine: Engine, filters: Filters, query: CaseQuery = CaseQuery()) -> int:
    """How many cases the search finds within the filters (the true total)."""
    where, params = _where(engine, filters, query)
    frame = fetch_frame(engine, f"SELECT COUNT(*) AS n FROM cases c WHERE {where}", params,
                        work_mem_mb=SEARCH_WORK_MEM_MB)
    return int(frame["n"].iloc[0])


def search_cases(engine: Engine, filters: Filters, query: CaseQuery = CaseQuery(),
                 limit: int = SHOWN_ROWS) -> pd.DataFrame:
    """case_no, received_on, county_code, township_code, category, channel, escalation, is_repeat,
    is_key_case, unit_name, state, petitioner_masked, summary of the first `limit` cases found,
    newest registration first."""
    where, params = _where(engine, filters, query)
    params["limit"] = int(limit)
    frame = fetch_frame(engine, f"""
SELECT c.case_no, c.received_on, c.county_code, c.township_code, c.category, c.channel,
       c.escalation, c.is_repeat,
       CASE WHEN EXISTS (SELECT 1 FROM key_cases k WHERE k.case_no = c.case_no) THEN 1 ELSE 0 END
           AS is_key_case,
       u.name AS unit_name, {_state_sql()} AS state, c.petitioner_name, c.summary
FROM cases c LEFT JOIN units u ON u.id = c.unit_id
WHERE {where}
ORDER BY c.received_on DESC, c.case_no DESC
LIMIT :limit""", params, date_columns=("received_on",), work_mem_mb=SEARCH_WORK_MEM_MB)
    frame["is_repeat"] = frame["is_repeat"].astype(bool)
    frame["is_key_case"] = frame["is_key_case"].astype(bool)
    frame.insert(len(frame.columns) - 1, "petitioner_masked",
                 [mask_name(n) for n in frame.pop("petitioner_name")])
    return frame


def _state_sql() -> str:
    return (f"CASE WHEN {CLOSED} THEN '已办结' "
            f"WHEN {DEADLINE} < :as_of THEN '逾期未结' "
            f"WHEN c.accepted_on IS NOT NULL AND c.accepted_on <= :as_of THEN '办理中' "
            f"ELSE '待受理' END")


def case_record(engine: Engine, scope: Scope, case_no: str, as_of: date) -> pd.DataFrame:
    """Everything known of one case inside the scope, petitioner excepted (zero rows outside it):
    the case's columns with county_name, township_name, village_name, unit_name, state, deadline,
    the key-case columns (leader, requirements, resolve_by, progress_pct, stage, cleared_on,
    listed_on) and the evaluation (evaluated_on, method, result), as of `as_of`."""
    where, params = scope.where("c")
    params.update(case_no=case_no, as_of=as_of)
    return fetch_frame(engine, f"""
SELECT c.case_no, c.received_on, c.channel, c.person_count, c.is_collective, c.escalation,
       c.is_repeat, c.category, c.subcategory, c.purpose, c.county_code, c.township_code,
       c.village_code, rc.name AS county_name, rt.name AS township_name, rv.name AS village_name,
       c.summary, u.name AS unit_name, c.dispatched_on, c.accepted_on, c.due_on,
       c.extended_due_on, {DEADLINE} AS deadline, c.closed_on,
       c.resolved_on, c.list_type, {_state_sql()} AS state,
       k.listed_on, k.leader, k.requirements, k.resolve_by, k.progress_pct, k.stage, k.cleared_on,
       CASE WHEN e.evaluated_on <= :as_of THEN e.evaluated_on END AS evaluated_on,
       CASE WHEN e.evaluated_on <= :as_of THEN e.method END AS method,
       CASE WHEN e.evaluated_on <= :as_of THEN e.result END AS result
FROM cases c
LEFT JOIN regions rc ON rc.code = c.county_code
LEFT JOIN regions rt ON rt.code = c.township_code
LEFT JOIN regions rv ON rv.code = c.village_code
LEFT JOIN units u ON u.id = c.unit_id
LEFT JOIN key_cases k ON k.case_no = c.case_no
LEFT JOIN evaluations e ON e.case_no = c.case_no
WHERE c.case_no = :case_no AND {where}""", params, date_columns=(
        "received_on", "dispatched_on", "accepted_on", "due_on", "extended_due_on", "deadline",
        "closed_on", "resolved_on", "listed_on", "resolve_by", "cleared_on", "evaluated_on"))


# Order of steps on one day; the steps taken from the case's own columns (the events table adds
# the others: 延期, 督办, 终结 and any other kind).
STEP_ORDER = ("登记", "交办", "受理", "列入重点案件", "延期", "督办", "办结", "化解", "评价", "销号",
              "终结", "至统计日仍未办结")
FROM_COLUMNS = {"登记", "交办", "受理", "办结", "化解", "评价", "销号"}


def case_timeline(engine: Engine, scope: Scope, case_no: str, as_of: date) -> pd.DataFrame:
    """step, happened_on, days_since_previous, days_since_received, note, is_late: one case's
    steps up to `as_of` in order (zero rows outside the scope). is_late marks 受理 after the
    acceptance limit, 办结 after the deadline, 销号 after the resolve-by day, and a final
    至统计日仍未办结 row when the case is open past its deadline."""
    record = case_record(engine, scope, case_no, as_of)
    if record.empty:
        return pd.DataFrame(columns=["step", "happened_on", "days_since_previous",
                                     "days_since_received", "note", "is_late"])
    r = {k: None if v is pd.NaT or (isinstance(v, float) and pd.isna(v)) else v
         for k, v in record.iloc[0].items()}
    steps: list[tuple[str, date, str, bool]] = []

    def add(step: str, day, note: str = "", late: bool = False) -> None:
        if isinstance(day, date) and day <= as_of:
            steps.append((step, day, note, late))

    deadline = r["deadline"] if isinstance(r["deadline"], date) else None
    add("登记", r["received_on"], f"{r['channel']}")
    add("交办", r["dispatched_on"], f"责任单位：{r['unit_name']}" if r["unit_name"] else "")
    if isinstance(r["accepted_on"], date):
        waited = (r["accepted_on"] - r["received_on"]).days
        add("受理", r["accepted_on"], f"办理期限 {r['due_on']:%Y-%m-%d}" if isinstance(
            r["due_on"], date) else "", waited > defaults.ACCEPT_DAYS)
    add("列入重点案件", r["listed_on"], f"包案领导：{r['leader']}；化解时限 {r['resolve_by']:%Y-%m-%d}"
        if isinstance(r["resolve_by"], date) else "")
    if isinstance(r["closed_on"], date):
        late = deadline is not None and r["closed_on"] > deadline
        add("办结", r["closed_on"], f"超过期限 {(r['closed_on'] - deadline).days} 天" if late else "", late)
    add("化解", r["resolved_on"])
    add("评价", r["evaluated_on"], f"{r['method']}：{r['result']}" if r["result"] else "",
        r["result"] == "不满意")
    if isinstance(r["cleared_on"], date):
        late = isinstance(r["resolve_by"], date) and r["cleared_on"] > r["resolve_by"]
        add("销号", r["cleared_on"], "", late)
    params = {"case_no": case_no, "as_of": as_of}
    events = fetch_frame(engine, """
SELECT kind, happened_on, note FROM case_events
WHERE case_no = :case_no AND happened_on <= :as_of ORDER BY happened_on""", params,
                         date_columns=("happened_on",))
    for kind, day, note in zip(events["kind"], events["happened_on"], events["note"]):
        day = None if day is pd.NaT else day
        if kind in FROM_COLUMNS:
            continue
        if kind == "延期" and isinstance(r["extended_due_on"], date):
            note = note or f"延期至 {r['extended_due_on']:%Y-%m-%d}"
        add(kind, day, note if isinstance(note, str) else "")
    if deadline is not None and deadline < as_of and not (
            isinstance(r["closed_on"], date) and r["closed_on"] <= as_of):
        steps.append(("至统计日仍未办结", as_of, f"已超过期限 {(as_of - deadline).days} 天", True))
    order = {s: k for k, s in enumerate(STEP_ORDER)}
    steps.sort(key=lambda s: (s[1], order.get(s[0], len(order))))
    received = r["received_on"]
    previous = [None, *[s[1] for s in steps[:-1]]]
    return pd.DataFrame({
        "step": [s[0] for s in steps],
        "happened_on": [s[1] for s in steps],
        "days_since_previous": [(s[1] - p).days if p else 0 for s, p in zip(steps, previous)],
        "days_since_received": [(s[1] - received).days for s in steps],
        "note": [s[2] for s in steps],
        "is_late": [bool(s[3]) for s in steps],
    })


def petitioner_history(engine: Engine, scope: Scope, case_no: str, as_of: date) -> pd.DataFrame:
    """case_no, received_on, category, channel, escalation, is_repeat, state, summary,
    is_this_case, days_since_previous: every case of the same petitioner (the same ID number, or
    the same phone when the case has no ID number) inside the scope, oldest first."""
    where, params = scope.where("c")
    params.update(case_no=case_no, as_of=as_of)
    me = fetch_frame(engine, "SELECT c.petitioner_id_no AS id_no, c.petitioner_phone AS phone "
                             f"FROM cases c WHERE c.case_no = :case_no AND {where}", params)
    same = "c.case_no = :case_no"
    if not me.empty:
        id_no, phone = me["id_no"].iloc[0], me["phone"].iloc[0]
        if isinstance(id_no, str) and id_no.strip():
            same, params["who"] = "c.petitioner_id_no = :who", id_no
        elif isinstance(phone, str) and phone.strip():
            same, params["who"] = "c.petitioner_phone = :who", phone
    frame = fetch_frame(engine, f"""
SELECT c.case_no, c.received_on, c.category, c.channel, c.escalation, c.is_repeat,
       {_state_sql()} AS state, c.summary
FROM cases c
WHERE {same} AND {where} AND (c.received_on <= :as_of OR c.case_no = :case_no)
ORDER BY c.received_on, c.case_no""", params, date_columns=("received_on",))
    frame["is_repeat"] = frame["is_repeat"].astype(bool)
    frame["is_this_case"] = frame["case_no"] == case_no
    received = list(frame["received_on"])
    frame["days_since_previous"] = [None, *[(b - a).days for a, b in zip(received, received[1:])]
                                    ][:len(frame)]
    return frame
