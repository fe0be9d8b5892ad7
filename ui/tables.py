"""Tables on a page: a Chinese sentence in place of an empty table (Streamlit would draw "empty")."""
from __future__ import annotations

import pandas as pd


MISSING = ""  # what a missing value shows as in every table


def show_table(slot, table, empty_text: str, **kwargs):
    """`table` (a DataFrame or a Styler) in `slot` (st or a column), or `empty_text` when it has
    no rows; returns what st.dataframe returns (the selection, with on_select), or None. A missing
    value shows as a blank cell (Streamlit's default is the English "None")."""
    frame = table.data if hasattr(table, "data") and not isinstance(table, pd.DataFrame) else table
    if len(frame) == 0:
        slot.info(empty_text)
        return None
    return slot.dataframe(table, **{"placeholder": MISSING, **kwargs})
