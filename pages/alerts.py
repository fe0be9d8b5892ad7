"""预警: clusters, surges, jumps and repeat petitioners, ranked, on a small offline map."""
from dataclasses import replace

import pandas as pd
import streamlit as st

from queries.alerts import AlertSettings, alert_cases, all_alerts
from queries.reference import region_names
from queries.situation_map import township_areas
from ui.database import cached_drawing_of_data, cached_query, demo_pending
from ui.drill import alert_params, open_search, params_link
from ui.personal import petitioner_panel
from ui.map_deck import ALERT_COLOURS
from ui.cards import card_html, figure_cards
from ui.map_svg import alerts_svg, map_view
from ui.page import start_page
from ui.html_table import show_html_table
from ui.tables import MISSING
from ui.markup import heading, note

engine, filters = start_page("事前预警")
SHOWN_ALERTS = 1000  # rows of the alert list drawn on the page
names = cached_query(region_names)
defaults = AlertSettings()
# Probability thresholds in words, not as 1e-4.
PROBABILITIES = {1e-6: "百万分之一", 1e-5: "十万分之一", 1e-4: "万分之一", 1e-3: "千分之一",
                 1e-2: "百分之一", 5e-2: "百分之五"}

top = st.columns([1, 3])
day = top[0].date_input("预警日期", value=filters.as_of, max_value=filters.as_of, key="alert_day",
                        format="YYYY-MM-DD")
note(top[1], "同类聚集：某乡镇某类问题在近 7 天或 30 天内的件数，按该乡镇自身过去一年的水平，"
               "用泊松分布计算出现这么多件的概率；概率极小即预警。越级、集体访上升：与上一周期和上年同期"
               "相比都上升超过阈值（默认告警超过 20%、异常超过 10%）才预警。重复信访：同一信访人（按身份证号散列匹配，"
               "不显示原文）就同一类问题（同人同事）多次来信来访，“问题”列为其内容分类。")
THRESHOLDS = "alert_thresholds"  # the thresholds chosen in this session (kept while closed)


def threshold_inputs(chosen: dict) -> dict:
    """The thresholds' inputs, starting from `chosen`; what they now say."""
    cols = st.columns(4)
    options = list(PROBABILITIES)
    picked = {
        "cluster_alert_p": cols[0].selectbox(
            "聚集告警：出现概率低于", options, key="a_alert_p", placeholder="请选择",
            index=options.index(chosen["cluster_alert_p"]), format_func=PROBABILITIES.get),
        "cluster_anomaly_p": cols[1].selectbox(
            "聚集异常：出现概率低于", options, key="a_anom_p", placeholder="请选择",
            index=options.index(chosen["cluster_anomaly_p"]), format_func=PROBABILITIES.get),
        "cluster_min_count": int(cols[2].number_input(
            "聚集最少件数", value=int(chosen["cluster_min_count"]), min_value=2, max_value=50,
            key="a_min")),
    }
    note(cols[3], "对照基线：该乡镇前 365 天同类件数")
    cols = st.columns(4)
    picked.update(
        jump_alert_pct=cols[0].number_input(
            "上升超过此比例告警（%）", value=float(chosen["jump_alert_pct"]), min_value=1.0,
            step=5.0, key="a_jump_alert"),
        jump_anomaly_pct=cols[1].number_input(
            "上升超过此比例异常（%）", value=float(chosen["jump_anomaly_pct"]), min_value=1.0,
            step=5.0, key="a_jump_anom"),
        jump_min_count=int(cols[2].number_input(
            "上升最少件数", value=int(chosen["jump_min_count"]), min_value=1, max_value=100,
            key="a_jump_min")),
        repeat_min_cases=int(cols[3].number_input(
            "重复信访：90 天内最少次数", value=int(chosen["repeat_min_cases"]), min_value=2,
            max_value=20, key="a_repeat")),
    )
    return picked


standard = {name: getattr(defaults, name) for name in (
    "cluster_alert_p", "cluster_anomaly_p", "cluster_min_count", "jump_alert_pct",
    "jump_anomaly_pct", "jump_min_count", "repeat_min_cases")}
chosen = st.session_state.get(THRESHOLDS) or standard
# The inputs are built only while the expander is open; the choice lives in the session.
threshold_box = st.expander("预警阈值（可调整）", key="alert_thresholds_open", on_change="rerun")
if threshold_box.open:
    with threshold_box:
        chosen = threshold_inputs(chosen)
    st.session_state[THRESHOLDS] = chosen
if chosen != standard:
    note(st, "预警阈值已调整（仅本次查看有效，展开上方“预警阈值”可查看或改回）。")
settings = replace(defaults, **{**chosen,
                                "cluster_anomaly_p": max(chosen["cluster_anomaly_p"],
                                                         chosen["cluster_alert_p"]),
                                "jump_anomaly_pct": min(chosen["jump_anomaly_pct"],
                                                        chosen["jump_alert_pct"])})

if demo_pending():  # each township's baseline year is still mostly unwritten
    st.info("演示数据的更早月份还在后台补齐：各乡镇过去一年的对照基线尚不完整，此时的同类聚集预警偏多，"
            "补齐后（一两分钟）刷新页面即为正常结果。")
at = replace(filters, start=day, end=day, as_of=day)
alerts = cached_query(all_alerts, at, settings)
levels = alerts["level"].value_counts()
figure_cards(st, [card_html(label, f"{int(value):,} 条") for label, value in (
    ("告警", levels.get("告警", 0)), ("异常", levels.get("异常", 0)),
    ("同类聚集", int((alerts["kind"] == "同类聚集").sum())),
    ("重复信访", int((alerts["kind"] == "重复信访").sum())))])

left, right = st.columns([3, 2])
with left:
    heading(st, "预警清单（按严重程度排序）")
    table = pd.DataFrame({
        "级别": alerts["level"], "类型": alerts["kind"],
        "地点": [names.get(c, c) for c in alerts["area_code"]], "问题": alerts["category"],
        "窗口": [f"{s:%m-%d}至{e:%m-%d}" for s, e in zip(alerts["window_start"], alerts["window_end"])],
        "实际": alerts["observed"], "预计": alerts["expected"].round(1), "说明": alerts["detail"],
        "首次出现": alerts["first_seen"],
    })
    if len(table) > SHOWN_ALERTS:  # ranked by severity: the most severe first
        note(st, f"显示最严重的 {SHOWN_ALERTS:,} 条（共 {len(table):,} 条）；可提高上方阈值收窄。")
    shown = table.head(SHOWN_ALERTS)
    picked = show_html_table(
        st, shown, f"{day:%Y-%m-%d} 没有预警。", key="alert_table", height=420,
        colours={"级别": {name: "#%02x%02x%02x" % rgb for name, rgb in ALERT_COLOURS.items()}},
        formats={"预计": "one", "首次出现": "date"})
    if len(table):
        note(st, "点选一条预警，在综合查询中查看其信访件。")
    if picked is not None:
        open_search(alert_params(filters, alerts.iloc[picked]["case_nos"]))
with right:
    heading(st, "预警分布")
    areas = cached_query(township_areas, filters.scope)
    if filters.county:
        areas = areas[areas["county_code"] == filters.county]
    # Drawn again only when the townships or the alerts have changed (18 ms of every run).
    drawn = alerts[["area_code", "area_level", "level", "category", "kind", "detail"]]
    map_view(cached_drawing_of_data(alerts_svg, areas, drawn, 560, 420), 420, key="alerts_map")
    note(st, "红：有告警；橙：有异常；灰：无预警。乡镇区域为示意范围（演示数据）。")

heading(st, "预警背后的信访件")


def alert_cases_panel() -> None:
    """One alert's cases and, asked for, a case's petitioner."""
    choices = [f"[{level}] {names.get(code, code)} {category} {kind}" for level, code, category, kind
               in zip(alerts["level"], alerts["area_code"], alerts["category"], alerts["kind"])]
    choice = st.selectbox("选择一条预警", list(range(len(alerts))), key="alert_pick", placeholder="请选择",
                          format_func=choices.__getitem__)
    cases = cached_query(alert_cases, filters.scope, tuple(alerts.iloc[choice]["case_nos"]))
    st.dataframe(pd.DataFrame({
        "信访件编号": cases["case_no"], "登记日期": cases["received_on"],
        "属地": [names.get(t, t) for t in cases["township_code"]], "内容分类": cases["category"],
        "信访形式": cases["channel"], "人数": cases["person_count"], "层级": cases["escalation"],
        "责任单位": cases["unit_name"], "状态": cases["status"], "诉求摘要": cases["summary"],
    }), hide_index=True, placeholder=MISSING, width="stretch", column_config={
        "登记日期": st.column_config.DateColumn(format="YYYY-MM-DD")})
    if not cases.empty:
        params_link(st, f"在综合查询中查看这 {len(cases):,} 件",
                    alert_params(filters, alerts.iloc[choice]["case_nos"]))
        st.markdown("**信访人信息**（默认脱敏）")
        case_no = st.selectbox("信访件", list(cases["case_no"]), key="alert_case_pick")
        petitioner_panel(engine, filters.scope, case_no, "alert_petitioner")


if alerts.empty:
    st.info(f"{day:%Y-%m-%d} 没有预警。")
else:
    # Built only while open (a table, two choices and the petitioner's panel: a quarter of the
    # page's time to show at every visit); a row of the list above opens the same cases too.
    cases_box = st.expander("选择一条预警，查看其信访件和信访人信息", key="alert_cases_open",
                            on_change="rerun")
    if cases_box.open:
        with cases_box:
            alert_cases_panel()
