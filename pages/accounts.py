"""账号管理: accounts, roles and jurisdictions, for administrators."""
import pandas as pd
import streamlit as st

from data.accounts import (
    ROLE_LABELS, AccountError, add_account, change_account, list_accounts, reset_password,
    set_disabled,
)
from data.schema import ROLES
from queries.reference import region_list, region_names
from queries.scope import EVERYTHING
from ui.auth import current_account, require_permission
from ui.database import cached_query
from ui.markup import md_text
from ui.page import start_page
from ui.tables import MISSING

engine, filters = start_page("账号管理")
account = current_account()
require_permission(account, "manage_accounts", "管理账号")
names = cached_query(region_names)

st.caption("角色：管理员（全部功能，含账号管理、审计日志、清除演示数据）；领导（本辖区全部页面和导出，"
           "可保存评分办法、签发通报）；工作人员（本辖区页面、导出和导入）；查看人员（只能查看本辖区页面）。"
           "每个账号有一个辖区：市、县（市、区）或乡镇（街道），只能看到辖区内的数据。")

rows = list_accounts(engine)
table = pd.DataFrame({
    "用户名": [r["username"] for r in rows], "姓名": [r["display_name"] or "" for r in rows],
    "角色": [ROLE_LABELS.get(r["role"], r["role"]) for r in rows],
    "辖区": [names.get(r["region_code"], r["region_code"]) for r in rows],
    "辖区代码": [r["region_code"] for r in rows],
    "状态": ["停用" if r["disabled"] else "须改密码" if r["must_change_password"] else "正常" for r in rows],
    "锁定至": [f"{r['locked_until']:%Y-%m-%d %H:%M}" if r["locked_until"] else "" for r in rows],
})
st.markdown(f"共 {len(table):,} 个账号")
st.dataframe(table, hide_index=True, placeholder=MISSING, width="stretch")

places = [""] + [c for level in ("city", "county", "township")
                 for c in cached_query(region_list, level, EVERYTHING)["code"]]


def place_label(code: str) -> str:
    return names.get(code, code) + (f"（{code}）" if code else "请选择")


left, right = st.columns(2)
with left, st.form("add_account", clear_on_submit=True):
    st.markdown("**新增账号**")
    username = st.text_input("新账号用户名", max_chars=64)
    display = st.text_input("姓名（可选）", max_chars=64)
    email = st.text_input("电子邮箱（可选，统一身份认证按此对应）", max_chars=128)
    role = st.selectbox("角色", ROLES, format_func=ROLE_LABELS.get, key="new_role")
    region = st.selectbox("辖区", places, format_func=place_label, key="new_region")
    if st.form_submit_button("新增", type="primary"):
        try:
            password = add_account(engine, username.strip(), role, region, display_name=display.strip(),
                                   email=email.strip(), by=account.username)
        except AccountError as exc:
            st.error(f"未能新增：{md_text(exc)}")
        else:
            st.success(f"已新增账号 {md_text(username.strip())}，初始密码：{password}（请当面或经内网安全渠道告知本人，"
                       "首次登录须修改；此密码不再显示）。")

with right:
    st.markdown("**修改、停用或重置密码**")
    target = st.selectbox("选择账号", [r["username"] for r in rows], key="edit_target")
    chosen = next((r for r in rows if r["username"] == target), None)
    if chosen:
        with st.form("edit_account"):
            role = st.selectbox("角色", ROLES, index=ROLES.index(chosen["role"]),
                                format_func=ROLE_LABELS.get)
            region = st.selectbox("辖区", places, format_func=place_label,
                                  index=places.index(chosen["region_code"])
                                  if chosen["region_code"] in places else 0)
            display = st.text_input("姓名", value=chosen["display_name"] or "", max_chars=64)
            email = st.text_input("电子邮箱", value=chosen["email"] or "", max_chars=128)
            if st.form_submit_button("保存修改"):
                try:
                    change_account(engine, target, role, region, account.username, display.strip(),
                                   email.strip())
                except AccountError as exc:
                    st.error(f"未能修改：{md_text(exc)}")
                else:
                    st.success("已保存。")
                    st.rerun()
        cols = st.columns(2)
        if chosen["disabled"]:
            if cols[0].button("启用账号", key="enable_account"):
                set_disabled(engine, target, False, account.username)
                st.rerun()
        elif cols[0].button("停用账号", key="disable_account", disabled=target == account.username,
                            help="不能停用自己的账号"):
            set_disabled(engine, target, True, account.username)
            st.rerun()
        if cols[1].button("重置密码", key="reset_account"):
            password = reset_password(engine, target, by=account.username)
            st.success(f"{md_text(target)} 的新密码：{password}（下次登录须修改；此密码不再显示）。")
