"""The scheduled commands write their files, and deliver them by a local SMTP server."""
from __future__ import annotations

import email
import io
import subprocess
import sys
from email import policy

from docx import Document
from openpyxl import load_workbook

from data.database import PROJECT_DIR, make_engine, migrate
from tests.fixture_cases import load_fixture


def _database(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    migrate(engine)
    load_fixture(engine)
    engine.dispose()
    return url


def _run(args, env=None):
    import os

    return subprocess.run([sys.executable, "cli.py", *args], cwd=PROJECT_DIR, capture_output=True,
                          text=True, timeout=180, env={**os.environ, **(env or {})})


def test_previous_month_into_a_folder_and_by_mail(tmp_path):
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(envelope)
            return "250 OK"

    url = _database(tmp_path)
    inbox = Inbox()
    import socket

    with socket.socket() as probe:  # a free port on the loopback address
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        secrets = tmp_path / "secrets.toml"
        secrets.write_text(f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nfrom = "xf@example.gov.cn"\n'
                           'to = ["leader@example.gov.cn", "office@example.gov.cn"]\n', encoding="utf-8")
        folder = tmp_path / "out"
        # "previous" is the last complete month before the data's day.
        from data.database import write_setting

        engine = make_engine(url)
        with engine.begin() as conn:
            write_setting(conn, "as_of", "2025-04-15")
        engine.dispose()
        report = _run(["report", "--month", "previous", "--url", url,
                       "--out", str(folder / "分析报告.docx"), "--mail"], {"SECRETS_FILE": str(secrets)})
        assert report.returncode == 0, report.stderr
        pack = _run(["export", "dispatch", "--month", "previous", "--url", url,
                     "--out", str(folder / "调度会材料.xlsx"), "--mail"], {"SECRETS_FILE": str(secrets)})
        assert pack.returncode == 0, pack.stderr
    finally:
        controller.stop()
    doc = Document(str(folder / "分析报告.docx"))
    assert any(p.text.startswith("关于测试市2025年3月信访工作情况的分析报告") for p in doc.paragraphs)
    assert load_workbook(str(folder / "调度会材料.xlsx"))["本月概况"]["A1"].value.startswith("测试市2025年3月")
    assert "已发送至：leader@example.gov.cn、office@example.gov.cn" in report.stdout
    assert len(inbox.messages) == 2
    first = email.message_from_bytes(inbox.messages[0].content, policy=policy.default)
    assert inbox.messages[0].rcpt_tos == ["leader@example.gov.cn", "office@example.gov.cn"]
    attachments = list(first.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["分析报告.docx"]
    assert attachments[0].get_content() == (folder / "分析报告.docx").read_bytes()
    second = email.message_from_bytes(inbox.messages[1].content, policy=policy.default)
    assert [a.get_filename() for a in second.iter_attachments()] == ["调度会材料.xlsx"]


def test_mail_without_settings_is_explained(tmp_path):
    url = _database(tmp_path)
    result = _run(["report", "--month", "2025-03", "--url", url, "--out", str(tmp_path / "r.docx"),
                   "--mail"], {"SECRETS_FILE": str(tmp_path / "none.toml")})
    assert result.returncode == 2 and "未配置邮件服务器" in result.stderr
    assert (tmp_path / "r.docx").exists()  # the file is written before the mail is tried
