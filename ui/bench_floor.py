"""The bench's floor: a page of the same app that draws one line of text after the sign-in. app.py
registers it only when the bench starts the server (BENCH_FLOOR_PAGE=1); nobody else can open it."""
import streamlit as st

from ui.auth import require_account
from ui.database import app_engine

require_account(app_engine())
st.write("基准页面")
