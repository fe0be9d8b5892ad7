"""The one place a page's failure becomes a Chinese message: nothing raw reaches the browser.

app.py runs the sidebar and every page inside `failures_explained`; the failure is logged on the
server (data/failures.py: no personal data, a reference the user can quote) and the page shows
what happened in Chinese. Streamlit's own error box is switched off in .streamlit/config.toml
(client.showErrorDetails = "none") for anything that still escapes, e.g. a download callback.
"""
from __future__ import annotations

import logging
import sys
from contextlib import contextmanager

import streamlit as st

from data.failures import LOGGER, explain
from ui.markup import md_text


def _log_to_console() -> None:
    """Failures go to the server's standard error (the service journal), with the time."""
    if not LOGGER.handlers and not logging.getLogger().handlers:  # unless logging is set up
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        LOGGER.addHandler(handler)


def show_failure(exc: BaseException, where: str, slot=None, prefix: str = "") -> None:
    """Logs the failure and shows its Chinese message in `slot` (default: where the page is)."""
    _log_to_console()
    (slot or st).error(md_text(prefix + explain(exc, where)))


@contextmanager
def failures_explained(where: str, slot=None):
    """Runs the block; on any exception shows the Chinese message (in `slot`, e.g. a placeholder
    at the top of the page, else where the page stopped) instead of a traceback."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - st.stop()/st.rerun() are not Exceptions and pass
        show_failure(exc, where, slot)
