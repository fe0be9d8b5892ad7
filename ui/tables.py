"""Tables on a page: a Chinese sentence in place of an empty table (Streamlit would draw "empty")."""
from __future__ import annotations

import pandas as pd


def show_table(slot, table, empty_text: str, **kwargs) -> None:
    """`table` (a DataFrame or a Styler) in `slot` (st or a column), or `empty_text` when it has
    no rows."""
    frame = table.data if hasattr(table, "data") and not isinstance(table, pd.DataFrame) else table
    if len(frame) == 0:
        slot.info(empty_text)
    else:
        slot.dataframe(table, **kwargs)
