"""The audit log: one appended row per action worth answering for. Never updated or deleted."""
from __future__ import annotations

import json
import logging
from datetime import datetime

from sqlalchemy import Engine

from data.schema import audit_log

LOG = logging.getLogger("xinfang.audit")

ACTIONS = {
    "sign_in": "登录", "sign_in_failed": "登录失败", "lockout": "账号锁定", "sign_out": "退出登录",
    "idle_sign_out": "超时退出", "password_change": "修改密码", "export": "导出",
    "download": "下载", "import_check": "导入检查", "import_write": "导入写入",
    "import_reject": "导入被拒", "import_undo": "撤销导入", "demo_remove": "清除演示数据",
    "scheme_change": "修改评分办法", "account_add": "新增账号", "account_disable": "停用账号",
    "account_enable": "启用账号", "account_reset": "重置密码", "account_change": "修改账号",
    "unmask": "查看个人信息", "scope_denied": "越权访问", "issue_document": "签发公文",
    "audit_export": "导出审计日志",
}
RESULTS = ("成功", "失败", "拒绝")


def record(engine: Engine, username: str, action: str, target: str = "", detail: dict | None = None,
           result: str = "成功", conn=None) -> None:
    """Append one row (inside `conn`'s transaction when given). Never raises for a logging
    problem in a way that hides the user's action: a failure is logged on the server and re-raised
    only for actions that must not happen unaudited (the caller's transaction then rolls back)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    row = {"at": datetime.now().replace(microsecond=0), "username": username or "（匿名）",
           "action": action, "target": target or "",
           "detail": json.dumps(detail or {}, ensure_ascii=False, default=str), "result": result}
    if conn is not None:
        conn.execute(audit_log.insert().values(**row))
        return
    with engine.begin() as own:
        own.execute(audit_log.insert().values(**row))
