"""Petitioners' personal data: masked for display by default; one case's full details on request."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from queries.execute import fetch_frame
from queries.scope import Scope


def mask_name(name: str | None) -> str:
    """张三丰 -> 张*丰, 李四 -> 李*."""
    if not isinstance(name, str) or not name:  # None, or NaN from an empty column
        return "—"
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str | None) -> str:
    """13812345678 -> 138****5678; short numbers keep only their last two digits."""
    if not isinstance(phone, str) or not phone.strip():
        return "—"
    phone = phone.strip()
    if len(phone) >= 8:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return "*" * max(len(phone) - 2, 1) + phone[-2:]


def mask_id_number(id_no: str | None) -> str:
    """530302199001011234 -> 530302********1234."""
    if not isinstance(id_no, str) or not id_no.strip():
        return "—"
    id_no = id_no.strip()
    if len(id_no) <= 8:
        return "*" * len(id_no)
    return id_no[:6] + "*" * (len(id_no) - 10) + id_no[-4:]


def petitioner_details(engine: Engine, scope: Scope, case_no: str) -> pd.DataFrame:
    """case_no, petitioner_name, petitioner_phone, petitioner_id_no of one case inside the scope,
    unmasked (zero rows outside it). Callers show it only on request, and audit it."""
    where, params = scope.where("c")
    params["case_no"] = case_no
    return fetch_frame(engine, f"""
SELECT c.case_no, c.petitioner_name, c.petitioner_phone, c.petitioner_id_no FROM cases c
WHERE c.case_no = :case_no AND {where}""", params)


def masked_petitioner(engine: Engine, scope: Scope, case_no: str) -> pd.DataFrame:
    """case_no, petitioner_name, petitioner_phone, petitioner_id_no of one case, masked."""
    frame = petitioner_details(engine, scope, case_no)
    return pd.DataFrame({
        "case_no": frame["case_no"],
        "petitioner_name": [mask_name(v) for v in frame["petitioner_name"]],
        "petitioner_phone": [mask_phone(v) for v in frame["petitioner_phone"]],
        "petitioner_id_no": [mask_id_number(v) for v in frame["petitioner_id_no"]],
    })
