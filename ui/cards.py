"""Headline figure cards sized for a projector: a label, a big value, a second line, the 同比."""
from __future__ import annotations

import re

from ui.markup import html_text

GOOD, BAD, NEUTRAL = "#1e7b34", "#c0392b", "#666666"
# A figure with its unit ("↓0.2 个百分点", "↑12.5%"): a narrow card breaks the line before or
# after it, never inside.
FIGURE = re.compile(r"[↑↓]?\d[\d,.]*(?:%| 个百分点| 件| 人次)?")


def _unbroken(match: re.Match) -> str:
    return f"<span class='fc-figure'>{match.group(0)}</span>"


def figure_card(slot, label: str, value: str, detail: str = "", change: str | None = None,
                change_is_good: bool | None = None, help_text: str = "") -> None:
    """One card in `slot` (a column); every text is escaped."""
    colour = NEUTRAL if change_is_good is None else (GOOD if change_is_good else BAD)
    change_html = (f"<div class='fc-change' style='color:{colour};margin-top:4px'>"
                   f"{FIGURE.sub(_unbroken, html_text(change))}</div>")
    slot.markdown(
        f"<div class='figure-card' title='{html_text(help_text)}' "
        "style='border:1px solid #ddd;border-radius:8px;padding:10px 14px;background:#fff;"
        "min-height:128px'>"
        f"<div class='fc-label' style='font-size:1.0rem;color:#333'>{html_text(label)}</div>"
        f"<div class='fc-value' style='font-weight:700;line-height:1.2;color:#111'>"
        f"{html_text(value)}</div>"
        f"<div class='fc-detail' style='font-size:0.95rem;color:#555;min-height:1.3em'>"
        f"{FIGURE.sub(_unbroken, html_text(detail))}</div>"
        f"{change_html}</div>",
        unsafe_allow_html=True)
