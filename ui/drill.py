"""Drill-down: a figure's link to 综合查询 with the filters it was counted under, in the URL."""
from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from queries.filters import Filters, add_months
from queries.search import MISSED
from ui.markup import md_text

SEARCH_PAGE = "pages/search.py"


def search_params(filters: Filters, **search) -> dict[str, str]:
    """URL parameters of 综合查询 for the cases behind a figure (empty values left out)."""
    shared = {"from": filters.start_month, "to": filters.end_month, "county": filters.county,
              "township": filters.township, "category": filters.category}
    return {k: str(v) for k, v in {**shared, **search}.items() if v not in (None, "")}


def search_link(slot, label: str, filters: Filters, **search) -> None:
    """A link in `slot` that opens 综合查询 on the cases behind a figure."""
    params_link(slot, label, search_params(filters, **search))


def params_link(slot, label: str, params: dict[str, str], width: str = "content") -> None:
    """A link in `slot` that opens 综合查询 with these URL parameters."""
    page_link(slot, SEARCH_PAGE, "search", label, params, width)


def page_link(slot, page: str, url_path: str, label: str, params: dict[str, str] | None = None,
              width: str = "content") -> None:
    """A link in `slot` to a page of the app (the label, which may name a place, is Markdown
    either way: escaped)."""
    label = md_text(label)
    try:
        slot.page_link(page, label=label, query_params=params, width=width)
    except StreamlitPageNotFoundError:  # the page runs alone, before the router registered the others
        slot.markdown(f"[{label}]({url_path}{'?' + urlencode(params) if params else ''})")


def open_search(params: dict[str, str]) -> None:
    """Go to 综合查询 with these parameters (a row picked in a table)."""
    st.switch_page(SEARCH_PAGE, query_params=params)


def case_params(filters: Filters, case_no: str) -> dict[str, str]:
    """综合查询 on one case, its file open, whenever it was registered."""
    return search_params(filters, cases=case_no, case=case_no)


# The dispatch review's figures: which cases each one counts (see queries/search.BASES).
DISPATCH_FIGURES = {"new": {}, "closed": {"basis": "closed"}, "backlog_end": {"basis": "backlog"},
                    "overdue_end": {"basis": "overdue"}}


def dispatch_figure_params(review_filters: Filters, figure: str) -> dict[str, str]:
    """综合查询 on the cases behind one of the month's figures (new, closed, backlog_start,
    backlog_end, overdue_end)."""
    if figure == "backlog_start":  # open at the end of the month before
        before = add_months(review_filters.start, -1).strftime("%Y-%m")
        return search_params(review_filters, basis="backlog", **{"from": before, "to": before})
    return search_params(review_filters, **DISPATCH_FIGURES[figure])


def unit_row_params(review_filters: Filters, unit_id: int, overdue_open_count: int) -> dict[str, str]:
    """综合查询 on a unit's cases overdue at the month end, or, when it has none, on those
    dispatched to it in the month."""
    basis = "overdue" if overdue_open_count > 0 else "dispatched"
    return search_params(review_filters, unit=str(int(unit_id)), basis=basis)


def dissatisfied_params(filters: Filters, by: str | None, value: str | None) -> dict[str, str]:
    """综合查询 on the 不满意 cases of one breakdown value (by: month, county, township, category,
    channel, method; None: all)."""
    if by is None or value is None:
        return search_params(filters, status="不满意")
    if by == "month":
        return search_params(filters, status="不满意", **{"from": value, "to": value})
    return search_params(filters, status="不满意", **{by: value})


def ranking_row_params(period: Filters, level: str, entity: str) -> dict[str, str]:
    """综合查询 on the cases registered in the ranking period in one township, county or unit."""
    key = {"township": "township", "county": "county", "unit": "unit"}[level]
    return search_params(period, **{key: str(entity)})


def cases_params(filters: Filters, case_nos) -> dict[str, str]:
    """综合查询 on exactly these cases (an alert's, a table's)."""
    return search_params(filters, cases=",".join(case_nos))


alert_params = cases_params  # the cases behind an alert


def ranking_reason_links(period: Filters, level: str, row) -> list[tuple[str, int, dict]]:
    """(label, count, 综合查询 parameters) for the cases behind one ranking row's figures: its cases
    of the period, those each rate counts against, the visits that cost deductions, its key cases
    not crossed off. Only figures above zero; each count is the figure the ranking computed."""
    own = ranking_row_params(period, level, row.entity)

    def missed(key: str) -> int:
        return int(getattr(row, f"{key}_den")) - int(getattr(row, f"{key}_num"))

    links = [
        ("本期信访件", int(row.case_count), own),
        *((status, missed(key), {**own, "status": status}) for status, key in MISSED.items()),
        ("重复信访", int(row.repeat_num), {**own, "repeat": "1"}),
        ("进京访", int(row.to_beijing_count), {**own, "escalation": "进京"}),
        ("到省访", int(row.to_province_count), {**own, "escalation": "到省"}),
        ("到市访", int(row.to_city_count), {**own, "escalation": "到市"}),
        ("集体访", int(row.collective_count), {**own, "collective": "1"}),
        ("重点案件未销号", int(row.key_listed_count) - int(row.key_cleared_count),
         {**own, "basis": "key_open"}),
    ]
    return [(label, count, params) for label, count, params in links if count]
