"""What every page starts with: the engine, the demo banner and the shared filters."""
from __future__ import annotations

import altair as alt
import streamlit as st
from sqlalchemy import Engine
from streamlit.runtime.pages_manager import PagesManager

from queries.filters import Filters
from queries.reference import region_names
from ui.auth import account_box, require_account
from ui.database import app_engine, cached_query, show_demo_banner
from ui.markup import note, page_title
from ui.sidebar import sidebar_filters

# Altair checks each chart part against the Vega-Lite schema as it is created (a third of the
# overview's script time); Streamlit still checks each whole chart once when it sends it.
alt.utils.schemapi.disable_debug_mode()

ACTIVE_FILTERS = "active_filters"
ROUTED = "routed_by_app"  # set by app.py right before it runs the page


def _route_through_app() -> bool:
    """Streamlit runs a script of pages/ directly, without app.py, until some run has called
    st.navigation (its old pages-folder mode); Streamlit has no public switch for this, so
    `cli.py serve` turns that mode off before the server starts. A page run directly anyway
    (`streamlit run app.py`, first request) turns it off for the next run and draws its own
    sidebar filters: nothing is lost, and a click on it (the sign-in button) is not dropped."""
    if st.session_state.pop(ROUTED, False):
        return True
    st.session_state[ACTIVE_FILTERS] = None
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
    return False


def start_page(title: str, banner: bool = True, caption: bool = True) -> tuple[Engine, Filters]:
    """The page's engine and filters (drawn by app.py, or here when a page runs alone); nobody
    gets past the sign-in form, whichever way the page is reached. The demo banner, the title and
    the filters' caption unless told otherwise."""
    routed = _route_through_app()
    engine = app_engine()
    account = require_account(engine)
    if not routed:
        account_box(engine, account)
    filters = st.session_state.get(ACTIVE_FILTERS) or sidebar_filters()
    if banner:
        show_demo_banner()
    if title:
        page_title(st, title)
    if caption:
        note(st, filters.caption(cached_query(region_names)))
    return engine, filters
