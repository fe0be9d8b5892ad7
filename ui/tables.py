"""Tables on a page: a Chinese sentence in place of an empty table (Streamlit would draw "empty")."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ui.labels import SUPERVISION_COLOURS


MISSING = ""  # what a missing value shows as in every table
# A key case's supervision colour (状态: 红, 黄, ...) -> its CSS colour, for coloured_labels.
STATUS_COLOURS = {label: "#%02x%02x%02x" % rgb for rgb, label, _meaning in SUPERVISION_COLOURS.values()}


def count_column(**kwargs):
    """A column of whole counts. Not Streamlit's "localized" format: the browser builds a number
    formatter afresh for every such cell it draws (11 ms of a page's table of 15 areas)."""
    return st.column_config.NumberColumn(format="%d", **kwargs)


def show_table(slot, table, empty_text: str, **kwargs):
    """`table` (a DataFrame or a Styler) in `slot` (st or a column), or `empty_text` when it has
    no rows; returns what st.dataframe returns (the selection, with on_select), or None. A missing
    value shows as a blank cell (Streamlit's default is the English "None")."""
    frame = table.data if hasattr(table, "data") and not isinstance(table, pd.DataFrame) else table
    if len(frame) == 0:
        slot.info(empty_text)
        return None
    return slot.dataframe(table, **{"placeholder": MISSING, **kwargs})


def coloured_labels(frame: pd.DataFrame, column: str, colours: dict[str, str],
                    width: int | str | None = None) -> dict:
    """Shows `column`'s values as labels in their colours (value -> CSS colour) without a pandas
    Styler, which formats every cell of the table again at every run of the page (a second for a
    few thousand rows): the column becomes one-label lists. Returns its column_config entry."""
    frame[column] = [[value] if isinstance(value, str) and value else [] for value in frame[column]]
    return {column: st.column_config.MultiselectColumn(
        column, options=list(colours), color=list(colours.values()), width=width)}
