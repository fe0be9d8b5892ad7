"""Issued circulars and reports (签发存档): the list for a period and a stored file."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from queries.execute import fetch_frame


def issued_list(engine: Engine, period: str | None = None, kind: str | None = None) -> pd.DataFrame:
    """id, kind, period, region_code, title, doc_number, issued_on, file_name, sha256, issued_at,
    issued_by: the issued documents (of a period and kind), newest first; without the files."""
    sql = ("SELECT id, kind, period, region_code, title, doc_number, issued_on, file_name, sha256, "
           "issued_at, issued_by FROM issued_documents WHERE 1 = 1")
    params: dict = {}
    if period:
        sql += " AND period = :period"
        params["period"] = period
    if kind:
        sql += " AND kind = :kind"
        params["kind"] = kind
    return fetch_frame(engine, sql + " ORDER BY issued_at DESC, id DESC", params,
                       date_columns=("issued_on",))


def issued_file(engine: Engine, document_id: int) -> tuple[str, bytes, str] | None:
    """file_name, the file's bytes exactly as issued, and its SHA-256; None if there is none."""
    frame = fetch_frame(engine, "SELECT file_name, content, sha256 FROM issued_documents "
                                "WHERE id = :id", {"id": int(document_id)})
    if not len(frame):
        return None
    return str(frame["file_name"].iloc[0]), bytes(frame["content"].iloc[0]), str(frame["sha256"].iloc[0])
