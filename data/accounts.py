"""Accounts: passwords (argon2id), roles, jurisdictions, lockout; the first administrator."""
from __future__ import annotations

import os
import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, func, select

from data import audit
from data.schema import ROLES, accounts, regions

MAX_FAILURES = 5  # failed sign-ins in a row before the account locks
LOCK_MINUTES = 15  # how long a locked account stays locked
MIN_PASSWORD_LENGTH = 8
USERNAME_PATTERN = re.compile(r"[\w.@-]{1,64}")
# Where the first start writes the passwords it created (readable by the server's owner only).
INITIAL_PASSWORDS_PATH = Path(__file__).resolve().parent / "initial-passwords.txt"

ROLE_LABELS = {"admin": "管理员", "leader": "领导", "staff": "工作人员", "viewer": "查看人员"}
# What each role may do; viewing its own jurisdiction is allowed to every role.
PERMISSIONS = {
    "admin": {"export", "import", "save_scheme", "issue", "unmask", "remove_demo", "manage_accounts",
              "read_audit"},
    "leader": {"export", "save_scheme", "issue", "unmask"},
    "staff": {"export", "import", "unmask"},
    "viewer": set(),
}
_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters


class AccountError(ValueError):
    """A problem with an account request, explained in Chinese."""


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    region_code: str
    display_name: str = ""
    must_change_password: bool = False

    def may(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, set())

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def new_password(length: int = 14) -> str:
    """A random password of letters and digits (no look-alike characters)."""
    alphabet = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
    while True:
        text = "".join(secrets.choice(alphabet) for _ in range(length))
        if any(c.isdigit() for c in text) and any(c.isalpha() for c in text):
            return text


def check_password_rule(username: str, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"密码至少 {MIN_PASSWORD_LENGTH} 位")
    if password.lower() == username.lower():
        raise AccountError("密码不能与用户名相同")
    if password.isdigit() or password.isalpha():
        raise AccountError("密码须同时包含字母和数字")


def _account(row) -> Account:
    return Account(username=row.username, role=row.role, region_code=row.region_code,
                   display_name=row.display_name or "", must_change_password=bool(row.must_change_password))


def _check_fields(engine: Engine, username: str, role: str, region_code: str) -> None:
    if not USERNAME_PATTERN.fullmatch(username or ""):
        raise AccountError("用户名须为 1 至 64 个字母、数字、汉字或 _ . @ - 符号，不含空格")
    if role not in ROLES:
        raise AccountError(f"角色应为 {'、'.join(ROLES)} 之一：{role}")
    with engine.connect() as conn:
        level = conn.execute(select(regions.c.level).where(regions.c.code == region_code)).scalar()
    if level not in ("city", "county", "township"):
        raise AccountError(f"辖区代码“{region_code}”不是本库中的市、县（市、区）或乡镇（街道）")


def add_account(engine: Engine, username: str, role: str, region_code: str, *,
                password: str | None = None, must_change: bool | None = None,
                display_name: str = "", email: str = "", by: str = "命令行") -> str:
    """Create an account; returns its password (a random one unless given). A generated
    password must be changed at the first sign-in; a given one is final unless must_change."""
    _check_fields(engine, username, role, region_code)
    generated = password is None
    password = password if password is not None else new_password()
    check_password_rule(username, password)
    with engine.begin() as conn:
        exists = conn.execute(select(accounts.c.id).where(accounts.c.username == username)).first()
        if exists:
            raise AccountError(f"用户名“{username}”已存在")
        conn.execute(accounts.insert().values(
            username=username, role=role, region_code=region_code, display_name=display_name or None,
            email=email or None, password_hash=_HASHER.hash(password),
            must_change_password=generated if must_change is None else must_change,
            disabled=False, failed_count=0, created_at=_now(), password_changed_at=_now()))
        audit.record(engine, by, "account_add", username,
                     {"role": role, "region_code": region_code}, conn=conn)
    return password


def account_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(accounts)).scalar() or 0)


def list_accounts(engine: Engine) -> list[dict]:
    """Every account without its password hash, by name."""
    columns = [accounts.c.username, accounts.c.display_name, accounts.c.email, accounts.c.role,
               accounts.c.region_code, accounts.c.disabled, accounts.c.must_change_password,
               accounts.c.failed_count, accounts.c.locked_until, accounts.c.created_at]
    with engine.connect() as conn:
        rows = conn.execute(select(*columns).order_by(accounts.c.username)).mappings().all()
    return [dict(r) for r in rows]


def get_account(engine: Engine, username: str) -> Account | None:
    """The enabled account of that name, or None."""
    with engine.connect() as conn:
        row = conn.execute(select(accounts).where(accounts.c.username == username)).first()
    if row is None or row.disabled:
        return None
    return _account(row)


def find_account_by_identity(engine: Engine, email: str | None, name: str | None) -> Account | None:
    """The enabled account matching an identity provider's user: by e-mail (case-insensitive),
    else by user name. None when there is no such account: nobody is signed in by default."""
    with engine.connect() as conn:
        row = None
        if email:
            row = conn.execute(select(accounts).where(
                func.lower(accounts.c.email) == email.strip().lower())).first()
        if row is None and name:
            row = conn.execute(select(accounts).where(accounts.c.username == name.strip())).first()
    if row is None or row.disabled:
        return None
    return _account(row)


FAILED = "登录失败：用户名或密码错误，或账号已停用、已锁定（连续失败 5 次锁定 15 分钟）。"


def authenticate(engine: Engine, username: str, password: str) -> Account | None:
    """The account when the password is right and the account is enabled and not locked;
    otherwise None (the caller shows one message, FAILED, whatever the reason). Counts failures,
    locks after MAX_FAILURES in a row, and audits every attempt."""
    now = _now()
    with engine.begin() as conn:
        row = conn.execute(select(accounts).where(accounts.c.username == username)
                           .with_for_update()).first()
        if row is None:
            _HASHER.hash(password or "x")  # same work as a real check: no timing hint
            audit.record(engine, username[:64], "sign_in_failed", username[:64],
                         {"reason": "unknown"}, "失败", conn=conn)
            return None
        locked = row.locked_until is not None and row.locked_until > now
        try:
            ok = bool(row.password_hash) and _HASHER.verify(row.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
        if ok and not locked and not row.disabled:
            values = {"failed_count": 0, "locked_until": None}
            if _HASHER.check_needs_rehash(row.password_hash):
                values["password_hash"] = _HASHER.hash(password)
            conn.execute(accounts.update().where(accounts.c.id == row.id).values(**values))
            audit.record(engine, username, "sign_in", username, {}, conn=conn)
            return _account(row)
        reason = "locked" if locked else "disabled" if row.disabled else "password"
        failures = row.failed_count + (0 if locked else 1)
        values = {"failed_count": failures}
        if not locked and failures >= MAX_FAILURES:
            values.update(locked_until=now + timedelta(minutes=LOCK_MINUTES), failed_count=0)
            audit.record(engine, username, "lockout", username,
                         {"minutes": LOCK_MINUTES, "failures": failures}, "拒绝", conn=conn)
        conn.execute(accounts.update().where(accounts.c.id == row.id).values(**values))
        audit.record(engine, username, "sign_in_failed", username, {"reason": reason}, "失败", conn=conn)
    return None


def change_password(engine: Engine, username: str, old_password: str, new: str) -> None:
    """The account's own change (the old password must match)."""
    with engine.connect() as conn:
        row = conn.execute(select(accounts).where(accounts.c.username == username)).first()
    try:
        ok = row is not None and _HASHER.verify(row.password_hash, old_password)
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        raise AccountError("原密码不正确")
    if new == old_password:
        raise AccountError("新密码不能与原密码相同")
    _set_password(engine, username, new, must_change=False, by=username, action="password_change")


def reset_password(engine: Engine, username: str, password: str | None = None, by: str = "命令行"
                   ) -> str:
    """A new password set by an administrator: random (changed at next sign-in) unless given."""
    generated = password is None
    password = password if password is not None else new_password()
    _set_password(engine, username, password, must_change=generated, by=by, action="account_reset")
    return password


def _set_password(engine: Engine, username: str, password: str, must_change: bool, by: str,
                  action: str) -> None:
    check_password_rule(username, password)
    with engine.begin() as conn:
        done = conn.execute(accounts.update().where(accounts.c.username == username).values(
            password_hash=_HASHER.hash(password), must_change_password=must_change,
            failed_count=0, locked_until=None, password_changed_at=_now())).rowcount
        if not done:
            raise AccountError(f"没有用户名为“{username}”的账号")
        audit.record(engine, by, action, username, {}, conn=conn)


def set_disabled(engine: Engine, username: str, disabled: bool, by: str = "命令行") -> None:
    with engine.begin() as conn:
        done = conn.execute(accounts.update().where(accounts.c.username == username)
                            .values(disabled=disabled)).rowcount
        if not done:
            raise AccountError(f"没有用户名为“{username}”的账号")
        audit.record(engine, by, "account_disable" if disabled else "account_enable", username,
                     {}, conn=conn)


def change_account(engine: Engine, username: str, role: str, region_code: str, by: str,
                   display_name: str = "", email: str = "") -> None:
    """An administrator's change of role, jurisdiction, name or e-mail."""
    _check_fields(engine, username, role, region_code)
    with engine.begin() as conn:
        done = conn.execute(accounts.update().where(accounts.c.username == username).values(
            role=role, region_code=region_code, display_name=display_name or None,
            email=email or None)).rowcount
        if not done:
            raise AccountError(f"没有用户名为“{username}”的账号")
        audit.record(engine, by, "account_change", username,
                     {"role": role, "region_code": region_code}, conn=conn)


def _top_region(engine: Engine) -> str | None:
    with engine.connect() as conn:
        for level in ("city", "county"):
            code = conn.execute(select(regions.c.code).where(regions.c.level == level)
                                .order_by(regions.c.code)).scalar()
            if code:
                return code
    return None


def write_initial_passwords(lines: list[str], path: Path | None = None) -> None:
    """Append lines to the initial-passwords file, created readable by its owner only."""
    path = path or INITIAL_PASSWORDS_PATH
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, ("\n".join(lines) + "\n").encode("utf-8"))
    finally:
        os.close(fd)


def ensure_first_admin(engine: Engine, path: Path | None = None) -> list[str]:
    """When there is no account: create `admin` (whole jurisdiction, random password to change at
    the first sign-in), write it to `path` and return the lines to print once. Else []."""
    if account_count(engine):
        return []
    top = _top_region(engine)
    if top is None:
        return []
    password = add_account(engine, "admin", "admin", top, by="首次启动")
    lines = [f"管理员  用户名 admin  初始密码 {password}  （首次登录须修改）"]
    write_initial_passwords(lines, path)
    return lines


def add_demo_accounts(engine: Engine, path: Path | None = None) -> list[str]:
    """A county leader and a township staff member for the demo (the first county and its first
    township), so scoping can be seen at work; returns the lines to print once."""
    with engine.connect() as conn:
        county = conn.execute(select(regions.c.code).where(regions.c.level == "county")
                              .order_by(regions.c.code)).scalar()
        township = conn.execute(select(regions.c.code).where(
            regions.c.level == "township", regions.c.parent_code == county)
            .order_by(regions.c.code)).scalar()
    if not county or not township:
        return []
    lines = []
    for username, role, region in (("demo_leader", "leader", county), ("demo_staff", "staff", township)):
        if get_account(engine, username) is None:
            password = add_account(engine, username, role, region, must_change=False, by="演示数据")
            lines.append(f"演示账号  用户名 {username}  密码 {password}  "
                         f"（{ROLE_LABELS[role]}，辖区 {region}）")
    if lines:
        write_initial_passwords(lines, path)
    return lines


def announce_accounts(lines: list[str], path: Path | None = None) -> None:
    """Print the passwords just created once, in the server's terminal."""
    path = path or INITIAL_PASSWORDS_PATH
    if lines:
        print("\n".join(["", "=" * 72, "信访督导看板：已创建以下账号（密码只显示这一次，另存于",
                          f"{path}，仅本机当前用户可读）：", *lines, "=" * 72, ""]), flush=True)
