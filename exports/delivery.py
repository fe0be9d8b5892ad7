"""Optional delivery of scheduled files by the intranet mail server ([smtp] in secrets.toml).

    [smtp]
    host = "mail.example.gov.cn"   # required
    port = 25                      # default 25 (587 with starttls is common)
    from = "xinfang@example.gov.cn"
    to = ["leader@example.gov.cn", "office@example.gov.cn"]   # or one address as a string
    starttls = false
    user = "..."        # optional, with password
    password = "..."
"""
from __future__ import annotations

import os
import smtplib
import tomllib
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from data.database import SECRETS_PATH

DOCX = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


class DeliveryError(RuntimeError):
    """A mail problem explained in Chinese."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    starttls: bool = False
    user: str | None = None
    password: str | None = None


def secrets_file() -> Path:
    """.streamlit/secrets.toml, or the file named by SECRETS_FILE."""
    return Path(os.environ.get("SECRETS_FILE") or SECRETS_PATH)


def smtp_settings(path: Path | None = None) -> SmtpSettings:
    path = path or secrets_file()
    try:
        section = tomllib.loads(path.read_text(encoding="utf-8")).get("smtp")
    except FileNotFoundError:
        section = None
    except tomllib.TOMLDecodeError as exc:
        raise DeliveryError(f"配置文件 {path} 格式有误：{exc}") from exc
    if not isinstance(section, dict) or not section.get("host"):
        raise DeliveryError(f"未配置邮件服务器：请在 {path} 中填写 [smtp] 的 host、from、to")
    recipients = section.get("to") or []
    recipients = tuple([recipients] if isinstance(recipients, str) else recipients)
    if not section.get("from") or not recipients:
        raise DeliveryError(f"[smtp] 缺少 from（发件人）或 to（收件人）：{path}")
    try:
        port = int(section.get("port", 25))
    except (TypeError, ValueError) as exc:
        raise DeliveryError(f"[smtp] 的 port 应为数字：{section.get('port')}") from exc
    return SmtpSettings(str(section["host"]), port, str(section["from"]), recipients,
                        bool(section.get("starttls", False)), section.get("user"),
                        section.get("password"))


def send_file(settings: SmtpSettings, subject: str, body: str, file_name: str, data: bytes) -> None:
    """Sends one file as an attachment to every recipient."""
    message = EmailMessage()
    message["Subject"], message["From"] = subject, settings.sender
    message["To"] = ", ".join(settings.recipients)
    message.set_content(body)
    kind = DOCX if file_name.lower().endswith(".docx") else XLSX
    message.add_attachment(data, maintype=kind[0], subtype=kind[1], filename=file_name)
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=60) as smtp:
            if settings.starttls:
                smtp.starttls()
            if settings.user:
                smtp.login(settings.user, settings.password or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"邮件发送失败（{settings.host}:{settings.port}）：{exc.__class__.__name__}"
                            f" {exc}") from exc
