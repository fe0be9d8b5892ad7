"""Numbers as Chinese readers expect them: 12,345 件, 95.3%, 同比 ↑3.2%."""
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


def yoy_count_text(current, previous, prefix: str = "同比") -> str | None:
    """'同比 ↑12.5%' for a count (or 环比 with that prefix); None when there is no base."""
    change = change_pct(current, previous)
    if change is None:
        return f"{prefix} 新增（基数为 0）" if not _missing(previous) and current else None
    if abs(change) < 0.05:
        return f"{prefix} 持平"
    return f"{prefix} {'↑' if change > 0 else '↓'}{abs(change):.1f}%"


def yoy_rate_text(current, previous) -> str | None:
    """'同比 ↑1.2 个百分点' for a rate."""
    if _missing(current) or _missing(previous):
        return None
    diff = current - previous
    if abs(diff) < 0.05:
        return "同比 持平"
    # A no-break space: the number and its unit stay on one line.
    return f"同比 {'↑' if diff > 0 else '↓'}{abs(diff):.1f}\u00a0个百分点"


def is_improvement(current, previous, higher_is_better: bool) -> bool | None:
    if _missing(current) or _missing(previous) or current == previous:
        return None
    return (current > previous) == higher_is_better
