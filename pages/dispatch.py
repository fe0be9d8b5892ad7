"""月度调度: the monthly dispatch review and its meeting pack."""
from dataclasses import replace

import streamlit as st

from data import audit
from data.database import write_setting
from exports.dispatch_pack import (
    cleared_this_month, dispatch_workbook, key_case_table, load_review, overdue_table, pack_title,
    units_table,
)
from exports.monthly_report import monthly_report, report_place
from queries.dispatch import last_complete_month, month_filters, overdue_cases
from queries.filters import add_months, month_label, parse_month
from queries.search import MAX_CASE_NOS
from queries.reference import case_date_range, read_number_setting, region_names, scope_name
from ui.cards import card_html, figure_cards, links_under
from ui.charts import show_chart
from ui.auth import current_account
from ui.choices import Choice, choices
from ui.database import cached_query, clear_cached_queries
from ui.downloads import download_button, export_menu
from ui.drill import (
    case_params, cases_params, dispatch_figure_params, open_search, params_link, unit_row_params,
)
from ui.formatting import count_text, yoy_count_text
from ui.markup import heading, note
from ui.page import start_page
from ui.html_table import show_html_table
from ui.tables import STATUS_COLOURS, coloured_labels, show_table
from ui.trends import backlog_chart, count_notes, flows_chart

TARGET_KEY = "dispatch_backlog_target"
SHOWN_OVERDUE = 1000  # rows of the overdue list drawn on the page; the meeting pack has all

engine, filters = start_page("月度调度")
names = cached_query(region_names)
today = filters.as_of

first, _ = cached_query(case_date_range)
months, current = [], today.replace(day=1)
while first and current >= first.replace(day=1):
    months.append(current.strftime("%Y-%m"))
    current = add_months(current, -1)
if not months:
    st.info("数据库中还没有信访件。")
    st.stop()
default = last_complete_month(today)
month = choices(st.columns([1, 2])[0], "dispatch_choice", [Choice(
    "dispatch_month", "调度月份", months, lambda m: month_label(parse_month(m)), default=default,
    help="默认上一个完整月份；各项数字按该月最后一天的状态计算")])["dispatch_month"]
review_filters = month_filters(month, today, filters)
review = cached_query(load_review, review_filters, SHOWN_OVERDUE)
s = review.summary
note(st, f"调度范围：{review_filters.caption(names)}（按月末状态统计；侧边栏的统计期间不影响本页）")

delta = int(s["backlog_end_count"] - s["backlog_start_count"])
figure_cards(st, [
    card_html("新增（增量）", count_text(s["new_count"]),
              yoy_count_text(s["new_count"], s["new_prev_month_count"], "环比") or "环比 —",
              yoy_count_text(s["new_count"], s["new_last_year_count"]),
              None if s["new_count"] == s["new_last_year_count"]
              else bool(s["new_count"] < s["new_last_year_count"])),
    card_html("办结", count_text(s["closed_count"]), "本月办结，不论何时登记"),
    card_html("化解", count_text(s["resolved_count"]), "本月化解"),
    card_html("月初存量", count_text(s["backlog_start_count"]), "上月末未办结"),
    card_html("月末存量", count_text(s["backlog_end_count"]),
              f"较月初{'减少' if delta < 0 else '增加' if delta > 0 else '持平'} {abs(delta):,} 件",
              "减存量" if delta < 0 else ("存量上升" if delta > 0 else "存量持平"),
              None if delta == 0 else delta < 0),
    card_html("逾期未结", count_text(s["overdue_end_count"]), "月末已超期限仍未办结"),
])
links_under(st, "dispatch", 6, {
    place: (label, dispatch_figure_params(review_filters, figure)) for place, figure, label in (
        (0, "new", "查看新增件"), (1, "closed", "查看办结件"), (3, "backlog_start", "查看月初存量"),
        (4, "backlog_end", "查看月末存量"), (5, "overdue_end", "查看逾期未结件"))})
verdict = ("存量下降、增量得到控制" if delta < 0 and s["new_count"] <= s["new_last_year_count"]
           else "存量下降，但新增多于去年同月" if delta < 0
           else "存量未降，需加大化解力度")
st.html(f"<p style='margin:0'><b>本月判断：{verdict}</b>"  # built from figures only
        f"（新增 {int(s['new_count']):,} 件，办结 {int(s['closed_count']):,} 件）</p>")

# The meeting's four parts, one tab each (a screen each on the projector); only the open tab is
# built and sent to the browser, a click on another reruns the page with it.
SECTIONS = ["责任单位办理进度", "逾期未结清单", "重点案件", "新增、办结与存量走势"]


def units_section() -> None:
    units = units_table(review)
    units.insert(0, "提示", ["有逾期" if n > 0 else "" for n in units["逾期未结"]])
    picked_unit = show_html_table(
        st, units, "本月没有需要列出的责任单位。", key="dispatch_units", height=380,
        colours={"提示": {"有逾期": "#c0392b"}},
        formats={"按期办结率": "pct", "上月按期办结率": "pct", "变化（百分点）": "signed",
                 "平均办理天数": "one",
                 **dict.fromkeys(("本月交办", "本月办结", "其中按期", "其中逾期", "逾期未结"), "count")})
    note(st, "按逾期未结从多到少、按期办结率从低到高排列。按期办结率按近 12 个月登记的信访件、"
               "截至月末计算；“上月”为截至上月末的同一口径。点选一行，在综合查询中查看该单位月末逾期未结的"
               "信访件（没有逾期的单位：本月交办的信访件）；点击列名可按该列排序。")
    if picked_unit is not None:
        unit = review.units.iloc[picked_unit]
        open_search(unit_row_params(review_filters, unit["unit_id"], unit["overdue_open_count"]))


def overdue_section() -> None:
    heading(st, f"逾期未结清单（{int(s['overdue_end_count']):,} 件）")
    if s["overdue_end_count"] > len(review.overdue):
        note(st, f"下表显示逾期最久的 {len(review.overdue):,} 件；全部清单见下载的调度会材料。")
    overdue = overdue_table(review, names)
    picked_case = show_table(
        st, overdue, "月末没有逾期未结的信访件。", hide_index=True, width="stretch", height=320,
        column_config={
            "登记日期": st.column_config.DateColumn(format="YYYY-MM-DD"),
            "办理期限": st.column_config.DateColumn(format="YYYY-MM-DD"),
            "最近督办日期": st.column_config.DateColumn(format="YYYY-MM-DD")},
        on_select="rerun", selection_mode="single-row", key="dispatch_overdue")
    if picked_case is not None and picked_case.selection.rows:
        row = picked_case.selection.rows[0]
        open_search(case_params(review_filters, overdue["信访件编号"].iloc[row]))
    elif len(overdue):
        note(st, "点选一行，打开该件的案件档案。")


def key_cases_section() -> None:
    keys = key_case_table(review, names)
    cleared = cleared_this_month(review)
    left, right = st.columns([1, 2])
    left.markdown(f"**本月销号 {int(cleared.sum()):,} 件**")
    crossed_off = keys[cleared.values][["信访件编号", "属地", "包案领导", "销号日期"]]
    picked_cleared = show_table(
        left, crossed_off, "本月没有销号的重点案件。", hide_index=True, width="stretch",
        on_select="rerun", selection_mode="single-row", key="dispatch_cleared",
        column_config={"信访件编号": st.column_config.TextColumn(width=145),
                       "属地": st.column_config.TextColumn(width=90),
                       "包案领导": st.column_config.TextColumn(width=150),
                       "销号日期": st.column_config.DateColumn(format="YYYY-MM-DD", width=95)})
    still_open = keys[~cleared.values & (keys["状态"] != "绿")]
    right.markdown(f"**仍在化解 {len(still_open):,} 件**（按紧迫程度排列）")
    open_shown = still_open[["状态", "信访件编号", "属地", "包案领导", "化解时限", "剩余天数",
                             "进度"]].copy()
    status = coloured_labels(open_shown, "状态", STATUS_COLOURS)
    picked_open = show_table(
        right, open_shown, "没有仍在化解的重点案件。",
        hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
        key="dispatch_key_open", column_config={
            **status,
            "进度": st.column_config.ProgressColumn("进度", min_value=0, max_value=100, format="%d%%"),
            "化解时限": st.column_config.DateColumn(format="YYYY-MM-DD")})
    for picked, table in ((picked_cleared, crossed_off), (picked_open, still_open)):
        if picked is not None and picked.selection.rows:
            row = picked.selection.rows[0]
            open_search(case_params(review_filters, table["信访件编号"].iloc[row]))
    links = st.columns([1, 1, 3])
    for slot, table, text in ((links[0], crossed_off, "本月销号"), (links[1], still_open, "仍在化解")):
        if 0 < len(table) <= MAX_CASE_NOS:
            params_link(slot, f"在综合查询中查看{text}的 {len(table):,} 件",
                        cases_params(review_filters, table["信访件编号"]))
    if len(crossed_off) or len(still_open):
        note(links[2], "点选一行，打开该件的案件档案。")


def year_section() -> None:
    st.markdown(f"**{review_filters.start.year}年以来：每月新增与办结、月末存量**")
    target = cached_query(read_number_setting, TARGET_KEY)
    target_box = st.expander("存量目标", key="backlog_target_open", on_change="rerun")
    if target_box.open:  # the input is built only while it is open
        with target_box:
            new_target = st.number_input("月末存量目标（件，0 表示不设）", min_value=0, step=10,
                                         value=int(target or 0), key="backlog_target")
            may_save = current_account().may("save_scheme")
            if (st.button("保存目标", key="save_target", disabled=not may_save)
                    and new_target != (target or 0)):
                with engine.begin() as conn:
                    write_setting(conn, TARGET_KEY, str(int(new_target)))
                    audit.record(engine, current_account().username, "scheme_change", TARGET_KEY,
                                 {"backlog_target": int(new_target)}, conn=conn)
                clear_cached_queries()
                st.rerun()
    year = count_notes(review.year, today)
    left, right = st.columns(2)
    show_chart(left, flows_chart, year, title="每月新增与办结")
    show_chart(right, backlog_chart, year, target,
               title="月末存量" + (f"（红虚线：目标 {int(target):,} 件）" if target else ""))


for tab, section in zip(st.tabs(SECTIONS, key="dispatch_section", on_change="rerun"),
                        (units_section, overdue_section, key_cases_section, year_section)):
    if tab.open:
        with tab:
            section()

jurisdiction = cached_query(scope_name, filters.scope)
downloads = export_menu(st, "导出调度会材料和月度分析报告")
download_button(
    downloads, "下载调度会材料（Excel）",  # built on click, with the whole overdue list
    lambda: dispatch_workbook(replace(review, overdue=overdue_cases(engine, review_filters)),
                              jurisdiction, names),
    f"{pack_title(jurisdiction, review_filters)}.xlsx", "调度会材料", review_filters.caption(names),
    type="primary")
report_scope = report_place(filters.county, today, filters.scope)
download_button(
    downloads, "下载月度分析报告（Word）",  # built on click: charts and map rendered on this machine
    lambda: monthly_report(engine, month, today, report_scope),
    f"{names.get(filters.county or '', '') or jurisdiction}{month_label(parse_month(month))}"
    "信访工作分析报告（草稿）.docx", "月度分析报告", review_filters.caption(names),
    help="公文格式；范围为侧边栏所选的县（市、区）或本账号辖区，签发存档见“乡镇排名与通报”页")
