"""Storing an issued (签发) circular or report: the file as sent, with its scheme and figures."""
from __future__ import annotations

import hashlib
from datetime import date, datetime

from sqlalchemy import Engine, select

from data.schema import ISSUED_KINDS, issued_documents


class IssueError(ValueError):
    """Why a document cannot be recorded as issued, in Chinese."""


def store_issued(engine: Engine, *, kind: str, period: str, region_code: str | None, title: str,
                 doc_number: str, issued_on: date, file_name: str, content: bytes,
                 figures_json: str, scheme_json: str | None, issued_by: str) -> int:
    """Records one issued document and returns its id; a 文号 already used is refused."""
    doc_number, issued_by = (doc_number or "").strip(), (issued_by or "").strip()
    if kind not in ISSUED_KINDS:
        raise IssueError(f"文件类别“{kind}”不对")
    if not doc_number or len(doc_number) > 64:
        raise IssueError("请填写文号（不超过 64 个字）")
    if not issued_by or len(issued_by) > 64:
        raise IssueError("请填写签发人（不超过 64 个字）")
    with engine.begin() as conn:
        used = conn.execute(select(issued_documents.c.title).where(
            issued_documents.c.doc_number == doc_number)).scalar()
        if used is not None:
            raise IssueError(f"文号“{doc_number}”已用于《{used}》，请换一个文号")
        result = conn.execute(issued_documents.insert().values(
            kind=kind, period=period, region_code=region_code, title=title, doc_number=doc_number,
            issued_on=issued_on, file_name=file_name, scheme_json=scheme_json,
            figures_json=figures_json, content=content, sha256=hashlib.sha256(content).hexdigest(),
            issued_at=datetime.now().replace(microsecond=0), issued_by=issued_by))
        return int(result.inserted_primary_key[0])
