"""信访督导看板: page config, the database, the account, the shared sidebar filters and the router.

Every page starts with ui.page.start_page, which shows the sign-in form and stops until somebody
is signed in; before that the pages are registered but hidden, so the address asked for (with its
filters) opens once signed in, and nothing of the data is drawn.
"""
import os

import streamlit as st

from ui import warmup

warmup.wait()  # the pages' modules, imported while the server started (cli.py serve)

from ui.auth import account_box, signed_in_account
from ui.chrome import apply_chrome
from ui.database import app_engine
from ui.errors import failures_explained
from ui.page import ACTIVE_FILTERS, ROUTED
from ui.sidebar import sidebar_filters

st.set_page_config(page_title="信访督导看板", layout="wide",
                   initial_sidebar_state="expanded")
apply_chrome()

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
    st.Page("pages/search.py", title="综合查询", url_path="search"),
    st.Page("pages/data_import.py", title="数据导入", url_path="import"),
]
# Only for the roles that hold the permission (others are not even offered the page).
RESTRICTED_PAGES = [
    ("manage_accounts", st.Page("pages/accounts.py", title="账号管理", url_path="users")),
    ("read_audit", st.Page("pages/audit.py", title="审计日志", url_path="audit")),
]

# The bench's floor page (one line of text), only in a server the bench starts.
if os.environ.get("BENCH_FLOOR_PAGE") == "1":
    PAGES = PAGES + [st.Page("ui/bench_floor.py", title="基准", url_path="bench-floor")]

# Any failure from here on (database lost, a page's error) is shown in Chinese at the top of the
# page, never as a traceback (ui/errors.py).
with failures_explained("app.py", st.empty()):
    engine = app_engine()
    account = signed_in_account(engine)
    ready = account is not None and not account.must_change_password
    allowed = PAGES + [page for permission, page in RESTRICTED_PAGES
                       if ready and account.may(permission)]
    navigation = st.navigation(allowed, position="sidebar" if ready else "hidden")
    st.session_state[ACTIVE_FILTERS] = None
    if ready:
        account_box(engine, account)
        st.session_state[ACTIVE_FILTERS] = sidebar_filters()
    st.session_state[ROUTED] = True
    navigation.run()
