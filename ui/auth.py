"""Sign-in, sign-out, idle time-out and the signed-in account's scope, for every page.

Nothing of the data is drawn before `require_account` returns: it draws the sign-in form (or the
password change a first sign-in needs) and stops the script otherwise. Three ways in: the built-in
accounts (default), an identity provider through Streamlit's st.login ([auth] in secrets.toml)
mapped to an account by e-mail or name, and, opt-in, a header set by an authenticating reverse
proxy (`trusted_user_header` in secrets.toml).
"""
from __future__ import annotations

import time

import streamlit as st
from sqlalchemy import Engine

from data import audit
from data.accounts import (
    FAILED, Account, AccountError, authenticate, change_password, find_account_by_identity,
    get_account,
)
from data.database import config_value, database_url
from queries import defaults
from queries.scope import Scope, scope_of_region
from ui.markup import md_text

ACCOUNT_KEY = "signed_in_account"
SEEN_KEY = "signed_in_last_seen"
NOTICE_KEY = "signed_in_notice"


def idle_seconds() -> int:
    """The idle time after which a session signs out (`session_idle_minutes` in the environment
    or secrets.toml; default in queries/defaults.py)."""
    try:
        minutes = float(config_value("session_idle_minutes") or defaults.SESSION_IDLE_MINUTES)
    except ValueError:
        minutes = defaults.SESSION_IDLE_MINUTES
    return int(max(minutes, 1) * 60)


def current_account() -> Account | None:
    return st.session_state.get(ACCOUNT_KEY)


@st.cache_data(ttl=defaults.CACHE_TTL_SECONDS, max_entries=256, show_spinner=False)
def _scope_for(url: str, region_code: str) -> Scope:
    from ui.database import engine_for_url

    return scope_of_region(engine_for_url(url), region_code)


def current_scope() -> Scope:
    """The signed-in account's jurisdiction; stops the page when nobody is signed in."""
    account = current_account()
    if account is None:
        st.error("请先登录。")
        st.stop()
    return _scope_for(database_url(), account.region_code)


def sign_out(engine: Engine, action: str = "sign_out", notice: str = "") -> None:
    account = current_account()
    if account is not None:
        audit.record(engine, account.username, action, account.username)
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if notice:
        st.session_state[NOTICE_KEY] = notice


def account_from_headers(engine: Engine, headers, header: str | None) -> Account | None:
    """The enabled account named by a trusted reverse proxy's header; None when the header is
    not configured, absent, or names no enabled account."""
    if not header:
        return None
    name = (headers.get(header) or "").strip()
    return get_account(engine, name) if name else None


def _proxy_account(engine: Engine) -> Account | None:
    return account_from_headers(engine, st.context.headers, config_value("trusted_user_header"))


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all
        return False


def _oidc_account(engine: Engine) -> Account | None:
    if not _oidc_configured() or not st.user.is_logged_in:
        return None
    account = find_account_by_identity(engine, st.user.get("email"), st.user.get("name"))
    if account is None:
        st.error("统一身份认证的用户在本看板没有对应的账号（按电子邮箱或用户名对应），请联系管理员开通。")
        st.button("退出统一身份认证", on_click=st.logout)
        st.stop()
    return account


def _sign_in_form(engine: Engine) -> None:
    st.title("信访督导看板")
    notice = st.session_state.pop(NOTICE_KEY, "")
    if notice:
        st.info(notice)
    with st.form("sign_in", clear_on_submit=False):
        st.markdown("#### 请登录")
        username = st.text_input("用户名", max_chars=64)
        password = st.text_input("密码", type="password", max_chars=256)
        submitted = st.form_submit_button("登录", type="primary")
    if submitted:
        account = authenticate(engine, username.strip(), password) if username.strip() else None
        if account is None:
            st.error(FAILED)
        else:
            st.session_state[ACCOUNT_KEY] = account
            st.session_state[SEEN_KEY] = time.time()
            st.rerun()
    if _oidc_configured():
        st.button("使用统一身份认证登录", on_click=st.login)
    st.caption("首次启动时生成的管理员初始密码见启动窗口或 data/initial-passwords.txt；忘记密码请联系管理员重置。")


def _password_change_form(engine: Engine, account: Account) -> None:
    st.title("修改密码")
    st.info("这是首次登录（或密码已被重置），请先设置新密码。新密码至少 8 位，须同时包含字母和数字。")
    with st.form("change_password"):
        old = st.text_input("当前密码", type="password")
        new = st.text_input("新密码", type="password")
        again = st.text_input("再次输入新密码", type="password")
        submitted = st.form_submit_button("修改密码", type="primary")
    if submitted:
        try:
            if new != again:
                raise AccountError("两次输入的新密码不一致")
            change_password(engine, account.username, old, new)
        except AccountError as exc:
            st.error(f"未能修改：{md_text(exc)}")
        else:
            st.session_state[ACCOUNT_KEY] = get_account(engine, account.username)
            st.success("密码已修改。")
            st.rerun()


def signed_in_account(engine: Engine) -> Account | None:
    """The signed-in account (after the idle check, and by proxy header or identity provider when
    configured), or None; draws nothing but a provider's mapping error."""
    account = current_account()
    if account is not None and time.time() - st.session_state.get(SEEN_KEY, 0) > idle_seconds():
        sign_out(engine, "idle_sign_out", "长时间未操作，已自动退出，请重新登录。")
        account = None
    if account is None:
        account = _proxy_account(engine) or _oidc_account(engine)
        if account is not None:
            audit.record(engine, account.username, "sign_in", account.username,
                         {"method": "proxy" if _proxy_account(engine) else "oidc"})
            st.session_state[ACCOUNT_KEY] = account
    if account is None:
        return None
    # Disabled or deleted since signing in: out at once.
    fresh = get_account(engine, account.username)
    if fresh is None:
        sign_out(engine, notice="账号已停用，请联系管理员。")
        return None
    if fresh != account:
        st.session_state[ACCOUNT_KEY] = account = fresh
    return account


def require_account(engine: Engine) -> Account:
    """The signed-in account; otherwise draws the sign-in form (or the password change a first
    sign-in needs) and stops the script."""
    account = signed_in_account(engine)
    if account is None:
        _sign_in_form(engine)
        st.stop()
    if account.must_change_password:
        _password_change_form(engine, account)
        st.stop()
    st.session_state[SEEN_KEY] = time.time()
    return account


@st.fragment(run_every=60)
def idle_watch() -> None:
    """Reruns the whole app once the idle time has passed, so the data leaves the screen."""
    if current_account() is not None and \
            time.time() - st.session_state.get(SEEN_KEY, 0) > idle_seconds():
        st.rerun(scope="app")


def account_box(engine: Engine, account: Account) -> None:
    """Who is signed in, and the sign-out button, in the sidebar."""
    with st.sidebar:
        name = account.display_name or account.username
        st.caption(f"当前用户：{md_text(name)}（{account.role_label}）")
        if st.button("退出登录", key="sign_out_button"):
            sign_out(engine, notice="已退出登录。")
            st.rerun()
        idle_watch()


def require_permission(account: Account, permission: str, what: str) -> None:
    """Stops the page with a Chinese message when the account's role may not do this."""
    if not account.may(permission):
        st.warning(f"当前账号（{account.role_label}）无权{what}。")
        st.stop()
