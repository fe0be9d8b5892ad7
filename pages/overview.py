"""总览: headline figures for the filtered period with 同比, the monthly trend, figures per area."""
import pandas as pd
import streamlit as st

from queries import defaults
from queries.overview import area_breakdown, headline_figures, monthly_trend
from queries.reference import region_names
from ui.database import cached_query
from ui.cards import card_html, figure_cards, links_under
from ui.charts import show_chart
from ui.drill import SEARCH_PAGE, search_params
from ui.formatting import count_text, is_improvement, pct_text, yoy_count_text, yoy_rate_text
from ui.labels import RATE_HELP, RATE_LABELS
from ui.page import start_page
from ui.html_table import show_html_table
from ui.trends import count_notes, rate_chart, rate_points, volume_chart
from ui.markup import heading, note

engine, filters = start_page("总览")
names = cached_query(region_names)
headline = cached_query(headline_figures, filters).set_index("period")
now, before = headline.loc["current"], headline.loc["year_earlier"]


def count_card(label, count_col, unit="件", persons_col=None, help_text=""):
    detail = f"{int(now[persons_col]):,} 人次" if persons_col else ""
    return card_html(label, count_text(now[count_col], unit), detail,
                     yoy_count_text(now[count_col], before[count_col]),
                     is_improvement(now[count_col], before[count_col], higher_is_better=False),
                     help_text)


def rate_card(key, higher_is_better=True):
    value, earlier = now[f"{key}_pct"], before[f"{key}_pct"]
    return card_html(RATE_LABELS[key], pct_text(value),
                     f"{int(now[f'{key}_num']):,} / {int(now[f'{key}_den']):,}",
                     yoy_rate_text(value, earlier), is_improvement(value, earlier, higher_is_better),
                     RATE_HELP[key])


heading(st, "信访总量与越级、集体访")
figure_cards(st, [
    count_card("信访总量", "case_count", persons_col="person_count"),
    count_card("集体访", "collective_count", unit="批", persons_col="collective_person_count"),
    count_card("越级访·到市", "to_city_count", persons_col="to_city_person_count"),
    count_card("越级访·到省", "to_province_count", persons_col="to_province_person_count"),
    count_card("越级访·进京", "to_beijing_count", persons_col="to_beijing_person_count"),
])
links_under(st, "volume", 5, {
    place: (label, search_params(filters, **search)) for place, (label, search) in {
        0: ("查看信访总量信访件", {}), 1: ("查看集体访信访件", {"collective": "1"}),
        2: ("查看越级访·到市信访件", {"escalation": "到市"}),
        3: ("查看越级访·到省信访件", {"escalation": "到省"}),
        4: ("查看越级访·进京信访件", {"escalation": "进京"})}.items()})

heading(st, "办理质效")
figure_cards(st, [
    rate_card("timely_accept"), rate_card("ontime_close"), rate_card("participation"),
    rate_card("satisfaction"), rate_card("repeat", higher_is_better=False),
    count_card("在办", "open_count", help_text="本期登记、截至统计日尚未办结的件数"),
    count_card("逾期未结", "overdue_count", help_text="在办且已超过办理期限（含延期）的件数"),
])
# Seven cards in a row: short link labels that stay whole on a 1366-pixel laptop.
links_under(st, "quality", 7, {
    place: (label, search_params(filters, **search)) for place, (label, search) in {
        3: ("查看不满意件", {"status": "不满意"}), 4: ("查看重复件", {"repeat": "1"}),
        5: ("查看在办件", {"status": "在办"}), 6: ("查看逾期未结件", {"status": "逾期"})}.items()})
note(st, "比率下方为分子 / 分母。同比：与上年同期比较（同一期间、同一范围，按上年同日的办理状态计算）。"
           f"满意率目标 {defaults.SATISFACTION_TARGET_PCT:.0f}%。")

trend = cached_query(monthly_trend, filters)
heading(st, "月度趋势")
if trend.empty:
    st.info("所选期间没有信访件。")
else:
    left, right = st.columns(2)
    volume = count_notes(trend[["report_month", "case_count", "year_earlier_case_count"]],
                         filters.as_of)
    show_chart(left, volume_chart, volume, title="信访件数（柱：本期，浅色柱为本月至今；虚线：上年同期）")

    points = rate_points(trend, {"timely_accept": "及时受理率", "ontime_close": "按期办结率",
                                 "satisfaction": "满意率"}, filters.as_of)
    show_chart(right, rate_chart, points, defaults.SATISFACTION_TARGET_PCT, {
        "及时受理率": "#7a4fa3", "按期办结率": "#2f6db5", "满意率": "#1e7b34"},
        title=f"三率走势（红虚线：满意率目标 {defaults.SATISFACTION_TARGET_PCT:.0f}%；"
              f"空心点：本月至今或分母不足 {defaults.TREND_MIN_DENOMINATOR} 件）")

areas = cached_query(area_breakdown, filters)
heading(st, "分乡镇（街道）情况" if filters.county else "分县（市、区）情况")
if not areas.empty:
    table = pd.DataFrame({
        "地区": [names.get(code, code) for code in areas["area_code"]],
        "信访件数": areas["case_count"],
        "人次": areas["person_count"],
        "集体访批次": areas["collective_count"],
        "到省": areas["to_province_count"],
        "进京": areas["to_beijing_count"],
        "及时受理率": areas["timely_accept_pct"],
        "按期办结率": areas["ontime_close_pct"],
        "满意率": areas["satisfaction_pct"],
        "重复信访率": areas["repeat_pct"],
        "逾期未结": areas["overdue_count"],
    }).sort_values("信访件数", ascending=False)
    picked = show_html_table(st, table, "所选期间和范围内没有信访件。", key="overview_areas", formats={
        **dict.fromkeys(("及时受理率", "按期办结率", "满意率", "重复信访率"), "pct"),
        **dict.fromkeys(("信访件数", "人次", "集体访批次", "到省", "进京", "逾期未结"), "count")})
    note(st, "点选一行，在综合查询中查看该地区的信访件；点击列名可按该列排序。")
    if picked is not None:
        area = list(areas["area_code"])[table.index[picked]]
        st.switch_page(SEARCH_PAGE, query_params=search_params(
            filters, **({"township": area} if filters.county else {"county": area})))
else:
    st.info("所选期间和范围内没有信访件。")
