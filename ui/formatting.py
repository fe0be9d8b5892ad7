"""Numbers as Chinese readers expect them: 12,345 件, 95.3%, 同比 +3.2%."""
from __future__ import annotations

import math


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def count_text(value, unit: str = "件") -> str:
    if _missing(value):
        return "—"
    return f"{int(value):,} {unit}".strip()


def pct_text(value, digits: int = 1) -> str:
    if _missing(value):
        return "—"
    return f"{value:.{digits}f}%"


def change_pct(current, previous) -> float | None:
    """Relative change in percent; None when there is no base to compare with."""
    if _missing(current) or _missing(previous) or previous == 0:
        return None
    return 100.0 * (current - previous) / previous


def yoy_count_delta(current, previous) -> str | None:
    """'+12.5% 同比' for a count, None when there is nothing to compare with."""
    change = change_pct(current, previous)
    if change is None:
        return None if _missing(previous) or previous else ("新增 同比" if current else None)
    return f"{change:+.1f}% 同比"


def yoy_rate_delta(current, previous) -> str | None:
    """'+1.2 个百分点 同比' for a rate."""
    if _missing(current) or _missing(previous):
        return None
    return f"{current - previous:+.1f} 个百分点 同比"
