"""Charts sent as their Vega-Lite specification, built once per chart and data.

An Altair chart is built and checked against the Vega-Lite schema at every run of the page that
draws it (20 to 60 ms a chart on this machine, most of a warm page's run). The specification only
depends on the chart's data and settings, which come from cached queries: it is kept with them,
keyed by the data itself (a chart of one account's scope is never shown to another scope, whose
data differs)."""
from __future__ import annotations

import streamlit as st

from queries import defaults
from ui import database


def _build_spec(build, args: tuple, kwargs: tuple) -> dict:
    spec = build(*args, **dict(kwargs)).to_dict()
    # Altair's default theme gives a fixed size to views without one; Streamlit sizes the chart.
    view = spec.get("config", {}).get("view", {})
    for key in ("continuousWidth", "continuousHeight"):
        view.pop(key, None)
    return spec


@st.cache_data(ttl=defaults.CACHE_TTL_SECONDS, max_entries=256, show_spinner=False)
def _cached_spec(_build, name: str, args: tuple, kwargs: tuple) -> dict:
    return _build_spec(_build, args, kwargs)


def chart_spec(build, *args, **kwargs) -> dict:
    """The Vega-Lite specification of the Altair chart build(*args, **kwargs), with its data;
    built afresh while `cli.py bench` times the pages with caching off (ui.database.TIMINGS)."""
    settings = tuple(sorted(kwargs.items()))
    if database.TIMINGS is not None:
        return _build_spec(build, args, settings)
    return _cached_spec(build, f"{build.__module__}.{build.__qualname__}", args, settings)


def show_chart(slot, build, *args, **kwargs) -> None:
    """The chart build(*args, **kwargs) across `slot` (st or a column)."""
    slot.vega_lite_chart(spec=chart_spec(build, *args, **kwargs), width="stretch")
