"""What the app adds to Streamlit's own page furniture, in one place.

Streamlit's table toolbar offers "Download as CSV" of any table on the page. That file escapes no
formula-like text and leaves no trace in the audit log, and Streamlit has no setting to turn it off
(1.67); it is hidden here with a style rule, and every download goes through ui.downloads instead.
"""
import streamlit as st

_STYLE = """<style>
button[aria-label="Download as CSV"], [data-testid="stElementToolbarButton"]:has(button[aria-label="Download as CSV"]) {
  display: none !important;
}
</style>"""


def hide_unaudited_downloads() -> None:
    st.html(_STYLE)
