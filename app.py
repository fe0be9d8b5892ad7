"""信访督导看板: page config, the database, the shared sidebar filters and the page router."""
import streamlit as st

from ui.chrome import apply_chrome
from ui.database import app_engine
from ui.page import ACTIVE_FILTERS
from ui.sidebar import sidebar_filters

st.set_page_config(page_title="信访督导看板", layout="wide",
                   initial_sidebar_state="expanded")

OVERVIEW = st.Page("pages/overview.py", title="总览", url_path="overview")


def _root() -> None:
    """The bare address opens 总览 at its own address, so that /overview (the address the README
    gives) is a page of its own and not Streamlit's English "Page not found"."""
    st.switch_page(OVERVIEW, query_params=st.query_params.to_dict())


PAGES = [
    st.Page(_root, title="首页", url_path="home", default=True, visibility="hidden"),
    OVERVIEW,
    st.Page("pages/situation_map.py", title="挂图作战", url_path="map"),
    st.Page("pages/bigscreen.py", title="大屏（投影）", url_path="bigscreen"),
    st.Page("pages/dispatch.py", title="月度调度", url_path="dispatch"),
    st.Page("pages/satisfaction.py", title="满意度", url_path="satisfaction"),
    st.Page("pages/ranking.py", title="乡镇排名与通报", url_path="ranking"),
    st.Page("pages/alerts.py", title="事前预警", url_path="alerts"),
    st.Page("pages/data_import.py", title="数据导入", url_path="import"),
]

navigation = st.navigation(PAGES)
apply_chrome()
app_engine()
st.session_state[ACTIVE_FILTERS] = None
st.session_state[ACTIVE_FILTERS] = sidebar_filters()
navigation.run()
