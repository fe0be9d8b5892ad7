"""综合查询: one search box and filters, the cases found (共 N 件), and the case file of one of them.

The search and the open case live in the URL (q, status, channel, repeat, escalation, key,
collective, village, unit, and from drill-down links basis, method and cases; case) next to the sidebar's filters, so a drilled view is a link.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from data.schema import CHANNELS, EVAL_METHODS
from exports.search_results import search_table, search_workbook
from queries.reference import region_list, region_names
from queries.search import (
    BASES, ESCALATION_CHOICES, MAX_CASE_NOS, SHOWN_ROWS, STATUSES, case_query_from_params,
    case_record, case_timeline, petitioner_history, search_cases, search_count,
)
from ui.choices import Choice, choices
from ui.database import cached_query
from ui.downloads import download_button
from ui.html_table import show_html_table
from ui.page import start_page
from ui.tables import MISSING
from ui.personal import petitioner_panel
from ui.markup import heading, note

ALL = ""
YES_NO = {ALL: "全部", "1": "是", "0": "否"}
URL_KEYS = ("q", "status", "channel", "repeat", "escalation", "key", "collective", "village",
            "unit", "basis", "method", "cases", "case")

engine, filters = start_page("综合查询")
names = cached_query(region_names)


def _read_url() -> list[str]:
    """The URL's search wins whenever it differs from what this page last wrote (a link was
    followed); returns the problems found in it."""
    url = {k: st.query_params.get(k, "") for k in URL_KEYS}
    if url == st.session_state.get("s_url"):
        return []
    problems = []
    checks = {"status": STATUSES, "channel": CHANNELS, "escalation": ESCALATION_CHOICES,
              "repeat": ("1", "0"), "key": ("1", "0"), "collective": ("1", "0"),
              "basis": tuple(BASES), "method": EVAL_METHODS}
    labels = {"status": "办理状态", "channel": "信访形式", "escalation": "越级层级", "repeat": "重复件",
              "key": "重点案件", "collective": "集体访", "basis": "统计口径", "method": "评价方式"}
    for key, allowed in checks.items():
        if url[key] and url[key] not in allowed:
            problems.append(f"链接中的{labels[key]}“{url[key]}”无效，已改为全部。")
            url[key] = ALL
    if url["unit"] and not url["unit"].isdigit():
        problems.append(f"链接中的责任单位编号“{url['unit']}”无效，已改为全部。")
        url["unit"] = ALL
    if len([n for n in url["cases"].split(",") if n.strip()]) > MAX_CASE_NOS:
        problems.append(f"链接中的信访件编号超过 {MAX_CASE_NOS} 件，已改为不限定。")
        url["cases"] = ALL
    st.session_state.update({f"s_{k}": v for k, v in url.items()})
    st.session_state["s_url"] = url
    return problems


for problem in _read_url():
    st.warning(problem)

villages = cached_query(region_list, "village", filters.scope, filters.township) if filters.township \
    else pd.DataFrame(columns=["code", "name"])
village_names = dict(zip(villages["code"], villages["name"]))

st.text_input("查询", key="s_q", placeholder="信访件编号（整号或部分）、诉求内容中的词语、信访人姓名/电话/身份证号（完整）、"
              "包案领导、责任单位",
              help="内容按字词查找（至少两个字）；信访人姓名、电话、身份证号须完整输入，结果中脱敏显示")
every = lambda v: v or "全部"  # noqa: E731
choices(st, "s_choices", [
    Choice("s_status", "办理状态", [ALL, *STATUSES], every),
    Choice("s_channel", "信访形式", [ALL, *CHANNELS], every),
    Choice("s_escalation", "越级", [ALL, *ESCALATION_CHOICES],
           lambda v: {"": "全部", "越级": "到市及以上"}.get(v, v)),
    Choice("s_village", "村（社区）", [ALL, *village_names],
           lambda v: village_names.get(v, v) if v else "全部", help="先在侧边栏选择乡镇（街道）",
           disabled=not filters.township),
    *(Choice(f"s_{key}", label, list(YES_NO), YES_NO.get)
      for key, label in (("repeat", "重复件"), ("key", "重点案件"), ("collective", "集体访"))),
], columns=4)
# Limits that only a drill-down link sets: shown, each with a button that lifts it.
LINK_ONLY = {"unit": "责任单位（编号 {}）", "basis": "统计口径：{}", "method": "评价方式：{}",
             "cases": "{}"}
for key, template in LINK_ONLY.items():
    value = st.session_state.get(f"s_{key}", ALL)
    if value:
        shown = BASES[value][0] if key == "basis" else value
        if key == "cases":
            shown = f"指定的 {len([n for n in value.split(',') if n.strip()])} 件（不受统计期间限制）"
        line = st.columns([3, 1], vertical_alignment="center")
        note(line[0], f"限定{template.format(shown)}")
        if line[1].button("取消此限定", key=f"s_{key}_clear"):
            st.session_state[f"s_{key}"] = ALL
            st.rerun()

state = st.session_state
query = case_query_from_params({k: str(state.get(f"s_{k}", "") or "") for k in URL_KEYS})

written = {k: str(state.get(f"s_{k}", "") or "") for k in URL_KEYS}
st.session_state["s_url"] = written
wanted = {**{k: v for k, v in st.query_params.items() if k not in URL_KEYS},
          **{k: v for k, v in written.items() if v}}
if dict(st.query_params) != wanted:
    st.query_params.from_dict(wanted)

if query.text_too_short:
    st.info("按内容查找请至少输入两个字；姓名、电话、身份证号请完整输入。")
total = cached_query(search_count, filters, query)
found = cached_query(search_cases, filters, query)
heading(st, f"共 {total:,} 件")
if total > len(found):
    note(st, f"按登记日期从新到旧显示前 {len(found):,} 件；缩小条件或下载可看其余（下载同样限 {SHOWN_ROWS} 件）。")

table = search_table(found, names)
picked = show_html_table(st, table, "没有找到符合条件的信访件。", key="s_table", height=420,
                         formats={"登记日期": "date"})
download_button(st, "下载查询结果（Excel，信访人已脱敏）",
                lambda: search_workbook(table, filters.caption(names)),
                "综合查询.xlsx", "综合查询结果", filters.caption(names))

if picked is not None and picked != state.get("s_table_row"):  # a row was just picked
    state["s_table_row"] = picked
    state["s_case"] = table["信访件编号"].iloc[picked]
    st.rerun()
options = [ALL, *table["信访件编号"]]
if state.get("s_case") and state["s_case"] not in options:
    options.append(state["s_case"])
choices(st, "s_case_choice", [Choice("s_case", "打开案件档案（或点选表格中的一行）", options,
                                     lambda v: v or "请选择信访件编号")])

case_no = state.get("s_case")
if case_no:
    record = cached_query(case_record, filters.scope, case_no, filters.as_of)
    st.header(f"案件档案：{case_no}")
    if record.empty:
        st.warning("本账号辖区内没有这个信访件编号。")
        st.stop()
    r = record.iloc[0]

    def text(value, suffix="") -> str:
        if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)) or value == "":
            return "—"
        if hasattr(value, "strftime"):
            return f"{value:%Y-%m-%d}"
        return f"{value}{suffix}"

    place = "".join(text(v) for v in (r["county_name"], r["township_name"]) if isinstance(v, str))
    if isinstance(r["village_name"], str):
        place += r["village_name"]
    facts = [
        ("登记日期", text(r["received_on"])), ("信访形式", text(r["channel"])),
        ("信访人数", text(r["person_count"], " 人") + ("（集体访）" if r["is_collective"] else "")),
        ("层级", text(r["escalation"])), ("重复信访", "是" if r["is_repeat"] else "否"),
        ("问题属地", place or "—"), ("内容分类", " / ".join(
            v for v in (r["category"], r["subcategory"]) if isinstance(v, str))),
        ("信访目的", text(r["purpose"])), ("四个清单", text(r["list_type"])),
        ("责任单位", text(r["unit_name"])), ("交办日期", text(r["dispatched_on"])),
        ("受理日期", text(r["accepted_on"])), ("办理期限", text(r["due_on"])),
        ("延期后期限", text(r["extended_due_on"])), ("办结日期", text(r["closed_on"])),
        ("化解日期", text(r["resolved_on"])), ("办理状态", text(r["state"])),
        ("满意度评价", f"{text(r['result'])}（{text(r['method'])}，{text(r['evaluated_on'])}）"
         if isinstance(r["result"], str) else "未评价"),
    ]
    if isinstance(r["leader"], str):
        facts += [("重点案件：包案领导", r["leader"]), ("列入日期", text(r["listed_on"])),
                  ("工作要求", text(r["requirements"])), ("化解时限", text(r["resolve_by"])),
                  ("化解进度", text(r["progress_pct"], "%")), ("阶段", text(r["stage"])),
                  ("销号日期", text(r["cleared_on"]))]
    facts.append(("诉求摘要", text(r["summary"])))
    left, right = st.columns([3, 2])
    left.dataframe(pd.DataFrame(facts, columns=["项目", "内容"]), hide_index=True, placeholder=MISSING,
                   width="stretch",
                   height=min(36 * (len(facts) + 1) + 4, 900))
    with right:
        st.markdown("**信访人**")
        petitioner_panel(engine, filters.scope, case_no, "s_petitioner")

    timeline = cached_query(case_timeline, filters.scope, case_no, filters.as_of)
    heading(st, "办理时间线")
    st.dataframe(pd.DataFrame({
        "环节": timeline["step"],
        "日期": timeline["happened_on"],
        "距上一环节（天）": timeline["days_since_previous"],
        "距登记（天）": timeline["days_since_received"],
        "说明": timeline["note"],
        "逾期": ["⚠ 逾期" if late else "" for late in timeline["is_late"]],
    }), hide_index=True, placeholder=MISSING, width="stretch",
        column_config={"日期": st.column_config.DateColumn(format="YYYY-MM-DD")})

    history = cached_query(petitioner_history, filters.scope, case_no, filters.as_of)
    heading(st, f"信访人画像：本辖区内共 {len(history)} 件")
    note(st, "同一身份证号（无身份证号时按同一电话）的全部信访件，按登记日期排列。")
    st.dataframe(pd.DataFrame({
        "信访件编号": history["case_no"],
        "登记日期": history["received_on"],
        "距上一件（天）": history["days_since_previous"],
        "内容分类": history["category"],
        "信访形式": history["channel"],
        "越级": [v if v != "本级" else "" for v in history["escalation"]],
        "重复件": ["重复" if v else "" for v in history["is_repeat"]],
        "办理状态": history["state"],
        "本件": ["◀ 本件" if v else "" for v in history["is_this_case"]],
        "诉求摘要": history["summary"],
    }), hide_index=True, placeholder=MISSING, width="stretch",
        column_config={"登记日期": st.column_config.DateColumn(format="YYYY-MM-DD")})
