"""Drill-down: a figure's link to 综合查询 with the filters it was counted under, in the URL."""
from __future__ import annotations

from urllib.parse import urlencode

from streamlit.errors import StreamlitPageNotFoundError

from queries.filters import Filters

SEARCH_PAGE = "pages/search.py"


def search_params(filters: Filters, **search) -> dict[str, str]:
    """URL parameters of 综合查询 for the cases behind a figure (empty values left out)."""
    shared = {"from": filters.start_month, "to": filters.end_month, "county": filters.county,
              "township": filters.township, "category": filters.category}
    return {k: str(v) for k, v in {**shared, **search}.items() if v not in (None, "")}


def search_link(slot, label: str, filters: Filters, **search) -> None:
    """A link in `slot` that opens 综合查询 on the cases behind a figure."""
    params = search_params(filters, **search)
    try:
        slot.page_link(SEARCH_PAGE, label=label, query_params=params)
    except StreamlitPageNotFoundError:  # the page runs alone, before the router registered the others
        slot.markdown(f"[{label}](search?{urlencode(params)})")
