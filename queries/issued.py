"""Issued circulars and reports (签发存档): the list for a period and a stored file."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from queries.execute import fetch_frame
from queries.scope import Scope


def _visible(scope: Scope) -> tuple[str, dict]:
    """Documents of the whole jurisdiction (sent to every unit) and those of a region inside the
    scope; a county's documents are not shown to another county."""
    if not scope.county:
        return "1 = 1", {}
    return "(d.region_code IS NULL OR d.region_code = :s_county)", {"s_county": scope.county}


def issued_list(engine: Engine, scope: Scope, period: str | None = None, kind: str | None = None
                ) -> pd.DataFrame:
    """id, kind, period, region_code, title, doc_number, issued_on, file_name, sha256, issued_at,
    issued_by: the issued documents (of a period and kind) the scope may see, newest first;
    without the files."""
    where, params = _visible(scope)
    sql = ("SELECT id, kind, period, region_code, title, doc_number, issued_on, file_name, sha256, "
           f"issued_at, issued_by FROM issued_documents d WHERE {where}")
    if period:
        sql += " AND period = :period"
        params["period"] = period
    if kind:
        sql += " AND kind = :kind"
        params["kind"] = kind
    return fetch_frame(engine, sql + " ORDER BY issued_at DESC, id DESC", params,
                       date_columns=("issued_on",))


def issued_file(engine: Engine, scope: Scope, document_id: int) -> tuple[str, bytes, str] | None:
    """file_name, the file's bytes exactly as issued, and its SHA-256; None if there is none the
    scope may see."""
    where, params = _visible(scope)
    params["id"] = int(document_id)
    frame = fetch_frame(engine, "SELECT file_name, content, sha256 FROM issued_documents d "
                                f"WHERE d.id = :id AND {where}", params)
    if not len(frame):
        return None
    return str(frame["file_name"].iloc[0]), bytes(frame["content"].iloc[0]), str(frame["sha256"].iloc[0])
