"""Chinese labels for column names and codes: the one mapping the pages and exports use."""

COLUMN_LABELS = {
    "report_month": "月份",
    "county_code": "县（市、区）代码",
    "county_name": "县（市、区）",
    "township_code": "乡镇（街道）代码",
    "township_name": "乡镇（街道）",
    "unit_name": "责任单位",
    "category": "内容分类",
    "channel": "信访形式",
    "case_count": "信访件数",
    "person_count": "人次",
    "collective_count": "集体访批次",
    "collective_person_count": "集体访人次",
    "to_city_count": "到市访件数",
    "to_city_person_count": "到市访人次",
    "to_province_count": "到省访件数",
    "to_province_person_count": "到省访人次",
    "to_beijing_count": "进京访件数",
    "to_beijing_person_count": "进京访人次",
    "open_count": "在办件数",
    "overdue_count": "逾期未结",
    "timely_accept_pct": "及时受理率",
    "ontime_close_pct": "按期办结率",
    "participation_pct": "参评率",
    "satisfaction_pct": "满意率",
    "satisfaction_strict_pct": "满意率（仅满意）",
    "repeat_pct": "重复信访率",
    "per_10k": "每万人信访件数",
}

RATE_LABELS = {
    "timely_accept": "及时受理率",
    "ontime_close": "按期办结率",
    "participation": "参评率",
    "satisfaction": "满意率",
    "satisfaction_strict": "满意率（仅满意）",
    "repeat": "重复信访率",
}

RATE_HELP = {
    "timely_accept": "登记后15日内受理的件数 ÷ 应受理件数（未到受理期限的不计）",
    "ontime_close": "按期办结件数 ÷（按期办结 + 逾期办结 + 逾期未结）；未到期限的在办件不计",
    "participation": "已评价件数 ÷（已评价 + 评价期满未评价）",
    "satisfaction": "（满意 + 基本满意）÷ 已评价件数",
    "satisfaction_strict": "满意 ÷ 已评价件数",
    "repeat": "重复信访件数 ÷ 信访总件数",
}

LEVEL_LABELS = {"city": "市", "county": "县（市、区）", "township": "乡镇（街道）", "village": "村（社区）"}


def labelled(frame, columns=None):
    """The frame with Chinese column headers (only `columns`, in that order, when given)."""
    if columns is not None:
        frame = frame[list(columns)]
    return frame.rename(columns=COLUMN_LABELS)

# The supervision colours of key cases: RGB, Chinese name, meaning (rule in queries/situation_map.py).
SUPERVISION_COLOURS = {
    "red": ((214, 39, 40), "红", "逾期：已过化解时限，或案件已过办理期限仍未办结"),
    "yellow": ((240, 180, 0), "黄", "滞后：进度落后于已用时间 10 个百分点以上"),
    "blue": ((31, 119, 220), "蓝", "临期：距化解时限 7 日以内"),
    "green": ((44, 160, 44), "绿", "已化解或已销号"),
    "grey": ((150, 150, 150), "正常", "按计划推进"),
}
