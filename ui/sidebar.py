"""The shared sidebar filters, mirrored in the URL so a view can be shared as a link."""
from __future__ import annotations

import streamlit as st

from queries.filters import Filters, add_months, month_label, parse_month
from queries.reference import case_date_range, category_list, region_list, region_names
from ui.auth import current_scope
from ui.choices import Choice, choices, take_changes
from ui.database import cached_query, data_as_of
from ui.markup import md_text

ALL = ""
SHARED_KEYS = ("from", "to", "county", "township", "category")
FIELDS = tuple(f"f_{key}" for key in SHARED_KEYS)  # their values in st.session_state
GROUP = "f_choices"


def _month_options(as_of) -> list[str]:
    first, _last = cached_query(case_date_range)
    start = (first or add_months(as_of, -11)).replace(day=1)
    months, current = [], start
    while current <= as_of:
        months.append(current.strftime("%Y-%m"))
        current = add_months(current, 1)
    return months


def _read_url(months, counties, townships_of, categories) -> list[str]:
    """Fill the widget state from the URL once per session; returns the problems found."""
    params = st.query_params
    problems = []
    start, end = months[max(0, len(months) - 12)], months[-1]
    if "from" in params or "to" in params:
        try:
            asked_from = parse_month(params.get("from", start)).strftime("%Y-%m")
            asked_to = parse_month(params.get("to", end)).strftime("%Y-%m")
            if asked_from > asked_to:
                raise ValueError(f"起始月份 {asked_from} 晚于截止月份 {asked_to}")
            if asked_from not in months or asked_to not in months:
                raise ValueError(f"数据只覆盖 {months[0]} 至 {months[-1]}")
            start, end = asked_from, asked_to
        except ValueError as exc:
            problems.append(f"链接中的统计期间无效（{exc}），已改用最近 12 个月。")
    county = params.get("county", ALL)
    if county and county not in counties:
        problems.append(f"链接中的县（市、区）代码“{county}”不存在或不在本账号辖区内，已显示本辖区。")
        county = ALL
    township = params.get("township", ALL)
    if township and township not in townships_of(county):
        problems.append(f"链接中的乡镇（街道）代码“{township}”不存在或不在本账号辖区内，已显示本辖区。")
        township = ALL
    category = params.get("category", ALL)
    if category and category not in categories:
        problems.append(f"链接中的内容分类“{category}”不存在，已显示全部分类。")
        category = ALL
    st.session_state.update(f_from=start, f_to=end, f_county=county, f_township=township,
                            f_category=category)
    return problems


def sidebar_filters() -> Filters:
    """Draws the filters in the sidebar and returns them; shows any problem with the URL."""
    as_of = data_as_of()
    months = _month_options(as_of)
    names = cached_query(region_names)
    scope = current_scope()
    counties = list(cached_query(region_list, "county", scope)["code"])

    def townships_of(county: str) -> list[str]:
        frame = cached_query(region_list, "township", scope, county or None)
        return list(frame["code"])

    categories = cached_query(category_list)
    # Read the URL once per session; again whenever a link brought other filters than those last
    # written (a drill-down from a figure); and again when a run failed before the widgets were
    # drawn (database lost): Streamlit then forgot their state, the URL still holds the view.
    shared = {k: st.query_params.get(k, ALL) for k in SHARED_KEYS}
    followed = any(shared.values()) and shared != st.session_state.get("f_written", shared)
    if not st.session_state.get("f_ready") or followed or "f_from" not in st.session_state:
        st.session_state["f_problems"] = _read_url(months, counties, townships_of, categories)
        st.session_state["f_ready"] = True
    if st.session_state.get("f_from") not in months or st.session_state.get("f_to") not in months:
        st.session_state.update(f_from=months[max(0, len(months) - 12)], f_to=months[-1])

    take_changes(GROUP, FIELDS)
    county = st.session_state.get("f_county", ALL)
    township_options = [ALL, *townships_of(county if county in counties else ALL)]
    label = lambda m: month_label(parse_month(m))  # noqa: E731
    region = lambda c: names.get(c, c) if c else "全部"  # noqa: E731
    with st.sidebar:
        st.markdown("### 筛选条件")
    chosen = choices(st.sidebar, GROUP, [
        Choice("f_from", "统计期间：起始月份（按登记日期）", months, label),
        Choice("f_to", "统计期间：截止月份", months, label),
        Choice("f_county", "县（市、区）", [ALL, *counties], region),
        Choice("f_township", "乡镇（街道）", township_options, region),
        Choice("f_category", "内容分类", [ALL, *categories], lambda c: c or "全部"),
    ], light=True)
    start, end, county, township, category = (chosen[k] for k in FIELDS)
    with st.sidebar:
        if start > end:
            st.warning("起始月份晚于截止月份，已按互换后的期间统计。")
            start, end = end, start
        st.caption(f"数据截至 {as_of:%Y年%m月%d日}")

    wanted = {"from": start, "to": end, "county": county, "township": township,
              "category": category}
    # A page's own parameters (综合查询's search) stay beside the shared ones.
    current = {**{k: v for k, v in st.query_params.items() if k not in wanted},
               **{k: v for k, v in wanted.items() if v}}
    st.session_state["f_written"] = wanted
    if dict(st.query_params) != current:
        st.query_params.from_dict(current)
    for problem in st.session_state.get("f_problems", []):
        st.warning(md_text(problem))
    return Filters.for_months(start, end, as_of, county, township, category, scope=scope)
