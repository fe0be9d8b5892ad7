"""The monthly dispatch meeting pack (月度调度会材料): its tables with Chinese headers and the
workbook with the sheets 本月概况, 单位进度, 逾期清单, 重点案件. The page and cli.py both use it."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from exports.battle_table import COLOUR_FILLS, battle_table_frame
from exports.excel import PERCENT_POINTS, POINT_CHANGE, Sheet, workbook_bytes
from queries.dispatch import (
    dispatch_summary, month_filters, overdue_cases, unit_progress, year_so_far,
)
from queries.filters import Filters, month_label
from queries.reference import region_names, scope_name
from queries.scope import Scope
from queries.situation_map import key_case_board

UNIT_KINDS = {"township": "乡镇（街道）", "department": "部门"}


@dataclass
class DispatchReview:
    """Everything the dispatch page shows for one month."""

    filters: Filters
    summary: pd.Series
    units: pd.DataFrame
    overdue: pd.DataFrame
    key_cases: pd.DataFrame
    year: pd.DataFrame


def load_review(engine: Engine, filters: Filters, overdue_limit: int | None = None) -> DispatchReview:
    """Runs every dispatch query for the month of `filters`; overdue_limit: only the longest
    overdue cases (the page draws them; the meeting pack lists all)."""
    return DispatchReview(filters, dispatch_summary(engine, filters).iloc[0],
                          unit_progress(engine, filters),
                          overdue_cases(engine, filters, overdue_limit),
                          key_case_board(engine, filters), year_so_far(engine, filters))


def _change(now: int, before: int) -> str:
    if before == 0:
        return "—" if now == 0 else "新增"
    return f"{100.0 * (now - before) / before:+.1f}%"


def summary_table(review: DispatchReview) -> pd.DataFrame:
    """指标, 数值, 说明: the month's movement."""
    s = review.summary
    delta = int(s["backlog_end_count"] - s["backlog_start_count"])
    trend = "下降" if delta < 0 else ("上升" if delta > 0 else "持平")
    rows = [
        ("新增（增量）", int(s["new_count"]),
         f"{int(s['new_person_count'])} 人次；环比 {_change(s['new_count'], s['new_prev_month_count'])}"
         f"（上月 {int(s['new_prev_month_count'])} 件），同比 "
         f"{_change(s['new_count'], s['new_last_year_count'])}（去年同月 {int(s['new_last_year_count'])} 件）"),
        ("办结", int(s["closed_count"]), "本月办结的信访件（不论何时登记）"),
        ("化解", int(s["resolved_count"]), "本月化解的信访件"),
        ("月初存量", int(s["backlog_start_count"]), "上月末尚未办结的件数"),
        ("月末存量", int(s["backlog_end_count"]), f"较月初{trend} {abs(delta)} 件"),
        ("逾期未结", int(s["overdue_end_count"]), "月末仍未办结且已超过办理期限（含延期）"),
        ("重点案件本月销号", int(cleared_this_month(review).sum()), "本月销号的重点案件"),
    ]
    return pd.DataFrame(rows, columns=["指标", "数值", "说明"])


def units_table(review: DispatchReview) -> pd.DataFrame:
    u = review.units
    return pd.DataFrame({
        "责任单位": u["unit_name"],
        "类型": [UNIT_KINDS.get(k, k) for k in u["unit_kind"]],
        "本月交办": u["dispatched_count"],
        "本月办结": u["closed_count"],
        "其中按期": u["closed_ontime_count"],
        "其中逾期": u["closed_late_count"],
        "逾期未结": u["overdue_open_count"],
        "按期办结率": u["ontime_close_pct"],
        "上月按期办结率": u["ontime_close_prev_pct"],
        "变化（百分点）": u["ontime_change_pct"].round(1),
        "平均办理天数": u["avg_handling_days"].round(1),
    })


def overdue_table(review: DispatchReview, names: dict[str, str]) -> pd.DataFrame:
    o = review.overdue
    return pd.DataFrame({
        "信访件编号": o["case_no"],
        "责任单位": o["unit_name"],
        "属地": [names.get(t, t) for t in o["township_code"]],
        "内容分类": o["category"],
        "登记日期": o["received_on"],
        "办理期限": o["deadline"],
        "逾期天数": o["days_overdue"],
        "包案领导": o["leader"].fillna("—") if len(o) else o["leader"],
        "已督办次数": o["supervised_count"],
        "最近督办日期": o["last_supervised_on"],
    })


def cleared_this_month(review: DispatchReview) -> pd.Series:
    cleared = pd.to_datetime(review.key_cases["cleared_on"])
    f = review.filters
    return (cleared >= pd.Timestamp(f.start)) & (cleared <= pd.Timestamp(f.end))


def key_case_table(review: DispatchReview, names: dict[str, str]) -> pd.DataFrame:
    table = battle_table_frame(review.key_cases, names)
    table.insert(1, "本月销号", ["是" if c else "" for c in cleared_this_month(review)])
    return table


def pack_title(jurisdiction: str, filters: Filters) -> str:
    return f"{jurisdiction}{month_label(filters.start)}信访工作调度会材料"


def dispatch_workbook(review: DispatchReview, jurisdiction: str, names: dict[str, str]) -> bytes:
    """The meeting pack as .xlsx bytes."""
    title = pack_title(jurisdiction, review.filters)
    caption = f"{review.filters.caption(names)}；数据截至{review.filters.as_of:%Y年%m月%d日}"
    units = units_table(review)
    return workbook_bytes([
        Sheet("本月概况", f"{title}：本月概况", summary_table(review), note=caption),
        Sheet("单位进度", f"{title}：责任单位办理进度", units,
              percent_columns=("按期办结率", "上月按期办结率"), formats={"变化（百分点）": POINT_CHANGE},
              highlight_rows=list(units["逾期未结"] > 0),
              note="按逾期未结件数从多到少排列，有逾期未结的单位标红；按期办结率按近 12 个月登记的信访件计算"),
        Sheet("逾期清单", f"{title}：逾期未结清单", overdue_table(review, names), note=caption),
        Sheet("重点案件", f"{title}：重点案件化解情况", key_case_table(review, names),
              fills={"状态": COLOUR_FILLS}, formats={"进度": PERCENT_POINTS}, note=caption),
    ])


def dispatch_pack(engine: Engine, month: str, today, place: Filters | Scope) -> bytes:
    """The pack for a month ('YYYY-MM') over a scope (and place), straight from the database (for
    scheduled runs)."""
    filters = month_filters(month, today, place)
    return dispatch_workbook(load_review(engine, filters), scope_name(engine, filters.scope),
                             region_names(engine))
