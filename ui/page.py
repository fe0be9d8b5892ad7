"""What every page starts with: the engine, the demo banner and the shared filters."""
from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine
from streamlit.runtime.pages_manager import PagesManager

from queries.filters import Filters
from queries.reference import region_names
from ui.database import app_engine, cached_query, show_demo_banner
from ui.sidebar import sidebar_filters

ACTIVE_FILTERS = "active_filters"


def _route_through_app() -> None:
    """Streamlit runs a script of pages/ directly, without app.py, until some run has called
    st.navigation (its old pages-folder mode). Switch that mode off and rerun through app.py."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def start_page(title: str, banner: bool = True, caption: bool = True) -> tuple[Engine, Filters]:
    """The page's engine and filters (drawn by app.py, or here when a page runs alone); the demo
    banner, the title and the filters' caption unless told otherwise."""
    _route_through_app()
    engine = app_engine()
    filters = st.session_state.get(ACTIVE_FILTERS) or sidebar_filters()
    if banner:
        show_demo_banner()
    if title:
        st.title(title)
    if caption:
        st.caption(filters.caption(cached_query(region_names)))
    return engine, filters
