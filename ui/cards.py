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


def card_html(label: str, value: str, detail: str = "", change: str | None = None,
              change_is_good: bool | None = None, help_text: str = "") -> str:
    """One card's markup; every text is escaped. A card of a label and a value only (no second
    line, no 同比) is as high as those two lines."""
    colour = NEUTRAL if change_is_good is None else (GOOD if change_is_good else BAD)
    change_html = "" if change is None else (
        f"<div class='fc-change' style='color:{colour};margin-top:4px'>"
        f"{FIGURE.sub(_unbroken, html_text(change))}</div>")
    full = bool(detail) or change is not None
    high, line = ("min-height:128px", "min-height:1.3em") if full else ("", "")
    return (
        f"<div class='figure-card' title='{html_text(help_text)}' "
        "style='border:1px solid #ddd;border-radius:8px;padding:10px 14px;background:#fff;"
        f"{high}'>"
        f"<div class='fc-label' style='font-size:1.0rem;color:#333'>{html_text(label)}</div>"
        f"<div class='fc-value' style='font-weight:700;line-height:1.2;color:#111'>"
        f"{html_text(value)}</div>"
        f"<div class='fc-detail' style='font-size:0.95rem;color:#555;{line}'>"
        f"{FIGURE.sub(_unbroken, html_text(detail))}</div>"
        f"{change_html}</div>")


def figure_cards(slot, cards: list[str]) -> None:
    """A row of cards (card_html) in `slot` as one element, each as wide as a column of
    st.columns(len(cards)) (same gap), so that links in such columns below stand under their
    cards. One element, not one Markdown element per card: the browser builds and parses each
    element on every visit to the page, a dozen cards for a tenth of a second."""
    slot.html(f"<div class='figure-cards' style='display:grid;gap:1rem;"
              f"grid-template-columns:repeat({len(cards)},minmax(0,1fr))'>{''.join(cards)}</div>")


def links_under(slot, name: str, count: int, links: dict[int, tuple[str, dict[str, str]]]) -> None:
    """Links to 综合查询 under a row of `count` cards (figure_cards), each under its card: {card's
    place: (label, URL parameters)}. One row of equal parts with the cards' gap (ui/chrome.py:
    .st-key-card_links_*), not a column per card: the browser draws each column as a block of its
    own at every visit (a fifth of a page's time to show, for nine links); a card without a link
    has an empty part. `name`: the row's name on its page."""
    from ui.drill import params_link

    row = slot.container(horizontal=True, gap="small", key=f"card_links_{name}")
    for place in range(count):
        if place in links:
            label, params = links[place]
            params_link(row, label, params, width="stretch")
        else:
            row.html("<span></span>")
