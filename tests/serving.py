"""The dashboard served by `cli.py serve` on a free local port, for the browser tests."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from data.database import PROJECT_DIR

CHROMIUM = "/usr/bin/chromium"


def require_chromium() -> None:
    """Skip (or, with REQUIRE_BROWSER=1, fail) when Debian's chromium is not installed."""
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        message = "Debian chromium is not installed (apt-get install chromium fonts-noto-cjk)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served(database_url: str) -> Iterator[str]:
    """The base address of the dashboard serving `database_url`, until the block ends."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(PROJECT_DIR / "cli.py"), "serve", "--headless", "--port", str(port),
         "--address", "127.0.0.1"], cwd=PROJECT_DIR, env={**os.environ, "DATABASE_URL": database_url},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{base}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
