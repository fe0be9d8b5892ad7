"""审计日志: who did what and when, for administrators; filter and export."""
from datetime import timedelta

import pandas as pd
import streamlit as st

from data.audit import ACTIONS
from queries.audit import audit_count, audit_entries
from ui.auth import current_account, require_permission
from ui.downloads import download_button
from ui.page import start_page
from ui.tables import MISSING

engine, filters = start_page("审计日志")
account = current_account()
require_permission(account, "read_audit", "查看审计日志")

st.caption("登录、导出、下载、导入、清除演示数据、修改评分办法、账号变更和查看个人信息都记录在此；"
           "日志只追加，系统不修改也不删除任何一条。")
cols = st.columns([1, 1, 1, 1])
until = cols[1].date_input("截止日期", value=pd.Timestamp.now().date(), key="audit_until")
since = cols[0].date_input("起始日期", value=until - timedelta(days=30), key="audit_since")
username = cols[2].text_input("用户名", key="audit_user", max_chars=64).strip() or None
labels = {"": "全部", **ACTIONS}
action = cols[3].selectbox("操作", list(labels), format_func=labels.get, key="audit_action") or None

total = audit_count(engine, since, until, username, action)
frame = audit_entries(engine, since, until, username, action)
table = pd.DataFrame({
    "时间": [f"{t:%Y-%m-%d %H:%M:%S}" if pd.notna(t) else "" for t in pd.to_datetime(frame["at"])],
    "用户": frame["username"], "操作": [ACTIONS.get(a, a) for a in frame["action"]],
    "对象": frame["target"], "详情": frame["detail"], "结果": frame["result"],
})
st.markdown(f"共 {total:,} 条" + (f"，显示最新 {len(table):,} 条" if total > len(table) else ""))
if table.empty:
    st.info("所选条件下没有审计记录。")
else:
    st.dataframe(table, hide_index=True, placeholder=MISSING, width="stretch", height=520)


def _workbook() -> bytes:
    from exports.excel import Sheet, workbook_bytes

    return workbook_bytes([Sheet("审计日志", f"审计日志（{since:%Y-%m-%d}至{until:%Y-%m-%d}）", table)])


download_button(st, "下载审计日志（Excel）", _workbook, f"审计日志_{since:%Y%m%d}-{until:%Y%m%d}.xlsx",
                "审计日志")
