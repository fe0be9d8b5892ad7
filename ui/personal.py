"""One case's petitioner, masked; shown in full only on request by a role allowed to, and audited."""
from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from data import audit
from queries.personal import masked_petitioner, petitioner_details
from queries.scope import Scope
from ui.auth import current_account

LABELS = {"petitioner_name": "信访人", "petitioner_phone": "联系电话", "petitioner_id_no": "身份证号"}


def petitioner_panel(engine: Engine, scope: Scope, case_no: str, key: str) -> None:
    """The petitioner of `case_no` (inside the scope), masked, with a button to show it in full."""
    account = current_account()
    shown_key = f"{key}_shown"
    if st.session_state.get(shown_key) == case_no:
        frame = petitioner_details(engine, scope, case_no)
        note = "完整信息（本次查看已记入审计日志）"
    else:
        frame = masked_petitioner(engine, scope, case_no)
        note = "已脱敏"
    if frame.empty:
        st.info("本辖区内没有该信访件。")
        return
    row = frame.iloc[0]
    cols = st.columns(len(LABELS))
    for col, (column, label) in zip(cols, LABELS.items()):
        col.text_input(label, value=str(row[column] or "—"), disabled=True, key=f"{key}_{column}_{note}")
    st.caption(note)  # the note and the button under the fields: the button's label never cut
    if account is not None and account.may("unmask") and st.session_state.get(shown_key) != case_no:
        if st.button("显示完整信息", key=f"{key}_unmask",
                          help="仅在办理需要时查看；每次查看都记入审计日志"):
            audit.record(engine, account.username, "unmask", case_no, {"fields": list(LABELS)})
            st.session_state[shown_key] = case_no
            st.rerun()
