"""乡镇排名与通报: rankings by an explicit, editable scheme; circular candidates; Excel and Word."""
import pandas as pd
import streamlit as st

from data.database import write_setting
from exports.ranking_reports import LEVEL_NAMES, circular_docx, ranking_table, ranking_workbook
from queries.filters import add_months, parse_period, period_filters, previous_period
from queries.ranking import (
    DEDUCTIONS, RATE_INDICATORS, SCHEME_KEY, RankingScheme, read_scheme, township_ranking,
)
from queries.reference import case_date_range, jurisdiction_name, region_names
from ui.database import cached_query, clear_cached_queries
from ui.page import start_page

engine, filters = start_page("乡镇排名与通报")
names = cached_query(region_names)
today = filters.as_of
first, _ = cached_query(case_date_range)
first = first or today


def period_options(kind: str) -> list[str]:
    """Periods that have data, newest first; the current, unfinished one last in line."""
    options, current = [], today.replace(day=1)
    while current >= first.replace(day=1):
        if kind == "month":
            options.append(current.strftime("%Y-%m"))
        elif kind == "quarter" and current.month in (1, 4, 7, 10):
            options.append(f"{current.year}-Q{(current.month - 1) // 3 + 1}")
        elif kind == "year" and current.month == 1:
            options.append(str(current.year))
        current = add_months(current, -1)
    if kind == "year" and str(today.year) not in options:
        options.insert(0, str(today.year))
    if kind == "quarter":
        label = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
        if label not in options:
            options.insert(0, label)
    return options


controls = st.columns([1, 1, 1])
level = controls[0].radio("排名对象", list(LEVEL_NAMES), format_func=LEVEL_NAMES.get,
                          horizontal=True, key="rank_level")
kind = controls[1].radio("期间", ["month", "quarter", "year"], index=1, horizontal=True,
                         format_func={"month": "月", "quarter": "季度", "year": "年"}.get,
                         key="rank_kind")
options = period_options(kind)
complete = [p for p in options if parse_period(p)[1] < today] or options
period = controls[2].selectbox("排名期间", options, index=options.index(complete[0]),
                               format_func=lambda p: parse_period(p)[2], key="rank_period",
                               placeholder="请选择")

saved = cached_query(read_scheme)
if "rank_scheme" not in st.session_state:
    st.session_state["rank_scheme"] = saved.to_json()
scheme = RankingScheme.from_json(st.session_state["rank_scheme"])
with st.expander("评分办法：权重、扣分与候选规则（可修改）", expanded=False):
    st.markdown("**比率指标权重**（按权重加权平均，满分 100）")
    cols = st.columns(len(RATE_INDICATORS))
    for col, (key, (label, _better)) in zip(cols, RATE_INDICATORS.items()):
        scheme.weights[key] = col.number_input(label, min_value=0.0, max_value=100.0, step=5.0,
                                               value=float(scheme.weights[key]), key=f"w_{key}")
    st.markdown("**扣分**")
    cols = st.columns(len(DEDUCTIONS) + 3)
    for col, (key, (label, unit)) in zip(cols, DEDUCTIONS.items()):
        scheme.deductions[key] = col.number_input(f"{label}（{unit}）", min_value=0.0, step=0.5,
                                                  value=float(scheme.deductions[key]), key=f"d_{key}")
    scheme.bottom_share = cols[-3].number_input("末位比例", min_value=0.0, max_value=0.5, step=0.05,
                                                value=float(scheme.bottom_share), key="r_share")
    scheme.bottom_min = int(cols[-2].number_input("末位至少（个）", min_value=0, max_value=50, step=1,
                                                  value=int(scheme.bottom_min), key="r_min"))
    scheme.min_cases = int(cols[-1].number_input("参与排名最少件数", min_value=1, max_value=500,
                                                 step=1, value=int(scheme.min_cases), key="r_cases"))
    st.session_state["rank_scheme"] = scheme.to_json()
    if sum(scheme.weights.values()) <= 0:
        st.error("权重之和必须大于 0，已暂用默认权重。")
        scheme.weights = RankingScheme().weights
    buttons = st.columns([1, 1, 4])
    if buttons[0].button("保存为本单位方案", key="save_scheme"):
        with engine.begin() as conn:
            write_setting(conn, SCHEME_KEY, scheme.to_json())
        clear_cached_queries()
        st.success("已保存，今后打开本页和命令行导出都使用此方案。")
    if buttons[1].button("恢复默认", key="reset_scheme"):
        st.session_state["rank_scheme"] = RankingScheme().to_json()
        for key in list(st.session_state):
            if key.startswith(("w_", "d_", "r_")):
                del st.session_state[key]
        st.rerun()
    if scheme.to_json() != saved.to_json():
        st.caption("当前方案与已保存的方案不同（仅本次查看有效，保存后才长期生效）。")

current = period_filters(period, today, filters)
previous = period_filters(previous_period(period), today, filters)
frame = cached_query(township_ranking, current, previous, scheme.to_json(), level)
_start, _end, label = parse_period(period)
jurisdiction = cached_query(jurisdiction_name)
st.info(f"**评价办法**　{scheme.describe()}")
if parse_period(period)[1] >= today:
    st.warning(f"{label}尚未结束（数据截至 {today:%Y-%m-%d}），排名仅供参考。")

ranked = int(frame["ranked"].sum())
bulletin = frame[frame["bulletin"]]
supervise = frame[frame["supervise"]]
st.subheader(f"{label}{LEVEL_NAMES[level]}排名：共 {len(frame)} 个，参与排名 {ranked} 个")
left, right = st.columns(2)
with left:
    st.markdown(f"#### 通报候选（{len(bulletin)} 个）")
    for row in bulletin.itertuples():
        robust = "" if pd.isna(row.stability) else f"（稳健度 {row.stability:.0%}）"
        thin = f"　⚠ 样本少：{row.thin}" if row.thin else ""
        st.markdown(f"- **{row.entity_name}**：{row.reason}{robust}{thin}")
    if bulletin.empty:
        st.markdown("本期没有通报候选。")
    else:
        st.caption("稳健度：各乡镇的信访件重新抽样（有放回）、同时各项权重和扣分上下浮动 20%，1,000 次中"
                   "仍为候选的比例。⚠ 样本少：所依据的件数不足 10 件的指标，名次可能因个别案件而大幅变动。")
with right:
    st.markdown(f"#### 挂牌督办候选（{len(supervise)} 个）")
    for row in supervise.itertuples():
        st.markdown(f"- **{row.entity_name}**：{row.reason}")
    if supervise.empty:
        st.markdown("本期没有连续两期处于末位区间的单位。")

full_table = ranking_table(frame, names, level)
view = st.columns([2, 1, 3])
which = view[0].radio("显示", ["all", "top", "bottom"], horizontal=True, key="rank_view",
                      format_func={"all": "全部", "top": "前 N 名", "bottom": "后 N 名（最差的在前）"}.get)
count = int(view[1].number_input("N", min_value=1, max_value=max(1, ranked), value=min(10, max(1, ranked)),
                                 step=1, key="rank_n", disabled=which == "all"))
shown = frame["ranked"]
if which == "top":
    keep = frame.index[shown][:count]
elif which == "bottom":
    keep = frame.index[shown][-count:][::-1]
else:
    keep = frame.index
table = full_table.loc[keep].reset_index(drop=True)
highlight = list((table["通报候选"] == "是") | (table["挂牌督办候选"] == "是"))
grey = list(~frame.loc[keep, "ranked"])
styled = table.style.apply(lambda row: [
    "background-color:#f8d7da" if highlight[row.name] else ("color:#9a9a9a" if grey[row.name] else "")
    for _ in row], axis=1)
percent = st.column_config.NumberColumn(format="%.1f%%")
st.dataframe(styled, hide_index=True, width="stretch", height=min(520, 38 + 35 * len(table)), column_config={
    **{label_: percent for label_, _b in RATE_INDICATORS.values()},
    "综合得分": st.column_config.NumberColumn(format="%.2f"),
    "排名变化": st.column_config.NumberColumn(format="%+d", help="与上一期相比，正数为上升"),
})
st.caption("第 1 名为最好（综合得分最高；单项排名同样以第 1 名为最好）。红底：通报或挂牌督办候选；"
           "灰色：信访件少于最少件数，不参与排名。每项指标后的“排名”为该指标单项排名。"
           "越级访按件数和人次列示，扣分按每万人（无人口数时每千件）折算，进京访按件扣分。")

title = f"{jurisdiction}{label}{LEVEL_NAMES[level]}信访工作综合排名"
downloads = st.columns([1, 1, 4])
downloads[0].download_button(
    "下载排名（Excel）", lambda: ranking_workbook(full_table, title, scheme.describe()),  # built on click
    file_name=f"{title}.xlsx", type="primary",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
downloads[1].download_button(
    "下载通报草稿（Word）", lambda: circular_docx(frame, jurisdiction, label, scheme.describe(), names,
                                           level),
    file_name=f"关于{label}信访工作情况的通报（草稿）.docx",
    mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
