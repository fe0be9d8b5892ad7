"""The battle table (作战图) of key cases: the labelled frame and its formatted Excel sheet."""
from __future__ import annotations

import pandas as pd

from exports.excel import PERCENT_POINTS, Sheet, workbook_bytes
from ui.labels import SUPERVISION_COLOURS

COLOUR_NAMES = {key: name for key, (_rgb, name, _meaning) in SUPERVISION_COLOURS.items()}
COLOUR_FILLS = {name: "%02X%02X%02X" % rgb for rgb, name, _meaning in SUPERVISION_COLOURS.values()}
LEGEND = "状态：红=逾期，蓝=临期（7日内），黄=进度滞后，正常=按计划推进，绿=已化解或销号"


def battle_table_frame(board: pd.DataFrame, place_names: dict[str, str]) -> pd.DataFrame:
    """The key-case board with Chinese headers, in the board's order."""
    return pd.DataFrame({
        "状态": [COLOUR_NAMES[c] for c in board["colour"]],
        "信访件编号": board["case_no"],
        "属地": [place_names.get(t, t) for t in board["township_code"]],
        "内容分类": board["category"],
        "包案领导": board["leader"],
        "责任单位": board["unit_name"],
        "工作要求": board["requirements"],
        "化解时限": board["resolve_by"],
        "剩余天数": board["days_left"],
        "进度": board["progress_pct"],
        "阶段": board["stage"],
        "销号日期": board["cleared_on"],
    })


def battle_table_xlsx(table: pd.DataFrame, title: str, caption: str) -> bytes:
    """One landscape sheet, status cells filled in their colour."""
    return workbook_bytes([Sheet("作战图", title, table, fills={"状态": COLOUR_FILLS},
                                 formats={"进度": PERCENT_POINTS}, note=f"{caption}；{LEGEND}")])
