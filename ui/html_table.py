"""A table of a few dozen rows drawn as plain HTML: sortable by a click on a column's header, a
click on a row reported to the page (the drill-down), the figures formatted here.

Why not st.dataframe for these: its grid is drawn on a canvas by a large script that lays out and
measures every cell in JavaScript, with selection on: 15-25 ms of the browser's main thread at
every visit of a page for a table of ten or twenty areas or units, more than the rest of the page.
A table in the browser's own HTML costs it one parse and one layout (1-2 ms); its text is the
page's own, crisp on a projector, and can be selected and copied.

Every text in the table (names are user input) is escaped here; the browser puts the finished
markup in place. Colours come only from the page's own fixed lists."""
from __future__ import annotations

import datetime as dt
import html
import math
from typing import Callable

import pandas as pd
import streamlit as st

from ui.formatting import count_text, pct_text
from ui.map_svg import pack

# Formats by name (a page may also give a function of the value).
FORMATS: dict[str, Callable] = {
    "count": lambda v: count_text(v, unit=""),
    "pct": pct_text,
    "signed": lambda v: "0.0" if round(v, 1) == 0 else f"{v:+.1f}",  # never "-0.0"
    "one": lambda v: f"{v:.1f}",
    "two": lambda v: f"{v:.2f}",
    "date": lambda v: f"{pd.Timestamp(v):%Y-%m-%d}",
}
CSS = """
.xf-table-root { overflow: auto; border: 1px solid rgba(49, 51, 63, 0.15); border-radius: 0.5rem; }
.xf-table { border-collapse: collapse; width: 100%; font-size: 0.92rem; line-height: 1.4;
  font-variant-numeric: tabular-nums; }
.xf-table th { position: sticky; top: 0; background: #f3f4f7; font-weight: 600; text-align: left;
  padding: 0.45rem 0.6rem; border-bottom: 1px solid rgba(49, 51, 63, 0.2); cursor: pointer;
  white-space: nowrap; user-select: none; }
.xf-table th.num, .xf-table td.num { text-align: right; }
.xf-table th[data-dir="asc"]::after { content: " ▲"; font-size: 0.7em; }
.xf-table th[data-dir="desc"]::after { content: " ▼"; font-size: 0.7em; }
.xf-table td { padding: 0.4rem 0.6rem; border-bottom: 1px solid rgba(49, 51, 63, 0.08);
  white-space: nowrap; }
.xf-table tbody tr:nth-child(even) { background: #fafbfc; }
.xf-table.pickable tbody tr { cursor: pointer; }
.xf-table.pickable tbody tr:hover { background: #e8f0fb; }
.xf-table tbody tr.picked { background: #d5e4f7; }
.xf-table th:focus-visible, .xf-table tbody tr:focus-visible { outline: 2px solid #2f6db5;
  outline-offset: -2px; }
.xf-table .tag { display: inline-block; padding: 0 0.5rem; border-radius: 0.7rem; color: #fff;
  font-size: 0.85em; line-height: 1.5; }
.xf-table .bar { display: inline-block; width: 4rem; height: 0.55rem; background: #e6e9ef;
  border-radius: 0.3rem; margin-right: 0.4rem; vertical-align: middle; overflow: hidden; }
.xf-table .bar > i { display: block; height: 100%; background: #2f6db5; }
.xf-table svg.spark { width: 7rem; height: 1.4rem; vertical-align: middle; }
.xf-table svg.spark polyline { fill: none; stroke: #2f6db5; stroke-width: 1.5;
  vector-effect: non-scaling-stroke; }
"""
JS = """
export default function (component) {
  const { parentElement, setStateValue } = component;
  const raw = component.data instanceof ArrayBuffer ? new Uint8Array(component.data) : component.data;
  const text = typeof raw === 'string' ? raw : new TextDecoder().decode(raw);
  const cut = text.indexOf('\\n');
  const meta = JSON.parse(text.slice(0, cut));
  let root = parentElement.querySelector('.xf-table-root');
  if (!root) {
    root = document.createElement('div');
    root.className = 'xf-table-root';
    parentElement.appendChild(root);
  }
  root.style.maxHeight = meta.height ? meta.height + 'px' : '';
  root.innerHTML = text.slice(cut + 1);
  const body = root.querySelector('tbody');
  if (!body) return;
  if (meta.picked !== null) {
    const row = body.querySelector('tr[data-row="' + meta.picked + '"]');
    if (row) row.classList.add('picked');
  }
  // A click on a header sorts by that column (again: the other way); missing values last.
  const value = (row, i) => {
    const cell = row.cells[i];
    const v = cell.dataset.v;
    return v === undefined ? cell.textContent : v === '' ? null : Number(v);
  };
  root.querySelectorAll('th').forEach((th, i) => {
    th.onclick = () => {
      const dir = th.dataset.dir === 'asc' ? 'desc' : 'asc';
      root.querySelectorAll('th').forEach(other => {
        delete other.dataset.dir;
        other.removeAttribute('aria-sort');
      });
      th.dataset.dir = dir;
      th.setAttribute('aria-sort', dir === 'asc' ? 'ascending' : 'descending');
      const sign = dir === 'asc' ? 1 : -1;
      const rows = Array.from(body.rows);
      rows.sort((a, b) => {
        const x = value(a, i), y = value(b, i);
        if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
        return sign * (typeof x === 'number' ? x - y : String(x).localeCompare(String(y), 'zh-CN'));
      });
      body.append(...rows);
    };
  });
  // The keyboard does what the mouse does: Enter (or Space) on a header sorts, on a row opens it.
  root.onkeydown = (event) => {
    if (event.key !== 'Enter' && event.key !== ' ') return;
    const target = event.target.closest('th, tbody tr');
    if (!target) return;
    event.preventDefault();
    target.click();
  };
  if (meta.pickable) {
    body.onclick = (event) => {
      const row = event.target.closest('tr');
      if (row) setStateValue('picked', Number(row.dataset.row));
    };
  }
}
"""
_table = st.components.v2.component("xinfang_table", css=CSS, js=JS)


def _missing(value) -> bool:
    if value is None or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _spark(values, low: float, high: float) -> str:
    """A small line of `values` (a month each) between `low` and `high`, as inline SVG."""
    points = [float(v) for v in values if not _missing(v)]
    if len(points) < 2:
        return "<td></td>"
    span = (high - low) or 1.0
    step = 100.0 / (len(points) - 1)
    line = " ".join(f"{i * step:.1f},{24 - 22 * (min(max(v, low), high) - low) / span - 1:.1f}"
                    for i, v in enumerate(points))
    return (f"<td><svg class='spark' viewBox='0 0 100 24' preserveAspectRatio='none'>"
            f"<polyline points='{line}'/></svg></td>")


def _cell(value, fmt, colours: dict[str, str] | None, progress: bool, spark=None) -> str:
    """One <td>: the value formatted and escaped; numbers right-aligned and sorted as numbers."""
    if spark is not None:
        return _spark(value, *spark)
    if hasattr(value, "item"):  # a numpy scalar
        value = value.item()
    if _missing(value):
        return "<td data-v=''></td>" if fmt or progress else "<td></td>"
    if colours is not None:
        colour = colours.get(str(value))
        label = html.escape(str(value))
        return (f"<td><span class='tag' style='background:{html.escape(colour)}'>{label}</span></td>"
                if colour else f"<td>{label}</td>")
    if progress:
        share = max(0.0, min(100.0, float(value)))
        return (f"<td data-v='{share:g}'><span class='bar'><i style='width:{share:.0f}%'></i></span>"
                f"{share:.0f}%</td>")
    shown = (FORMATS[fmt] if isinstance(fmt, str) else fmt)(value) if fmt else (
        f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else
        f"{value:.1f}" if isinstance(value, float) else
        f"{value:%Y-%m-%d}" if isinstance(value, (dt.date, pd.Timestamp)) else str(value))
    if _is_number(value) and math.isfinite(value):
        return f"<td class='num' data-v='{value!r}'>{html.escape(shown)}</td>"
    return f"<td>{html.escape(shown)}</td>"


def _header(column, numeric: bool, help_text: str | None) -> str:
    attributes = " tabindex='0'" + (" class='num'" if numeric else "")
    if help_text:
        attributes += f" title='{html.escape(help_text)}'"
    return f"<th{attributes}>{html.escape(str(column))}</th>"


def table_markup(frame: pd.DataFrame, formats: dict | None = None,
                 colours: dict[str, dict[str, str]] | None = None, progress: tuple = (),
                 pickable: bool = True, help_texts: dict[str, str] | None = None,
                 sparks: dict[str, tuple[float, float]] | None = None) -> str:
    """The table as HTML: one row per row of `frame` (data-row: its position), each column
    formatted by `formats` (a FORMATS name or a function), `colours` (column -> value -> CSS
    colour: the value as a coloured label), `progress` (columns of 0-100 drawn as bars), `sparks`
    (column -> (low, high): a list of numbers a row drawn as a small line)."""
    formats, colours, help_texts, sparks = formats or {}, colours or {}, help_texts or {}, sparks or {}
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and c not in colours or c in progress
               for c in frame.columns]
    head = "".join(_header(c, is_num, help_texts.get(c)) for c, is_num in zip(frame.columns, numeric))
    plans = [(formats.get(c), colours.get(c), c in progress, sparks.get(c)) for c in frame.columns]
    focus = " tabindex='0'" if pickable else ""
    rows = []
    for position, values in enumerate(frame.itertuples(index=False, name=None)):
        cells = "".join(_cell(v, *plan) for v, plan in zip(values, plans))
        rows.append(f"<tr data-row='{position}'{focus}>{cells}</tr>")
    kind = "xf-table pickable" if pickable else "xf-table"
    return f"<table class='{kind}'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def show_html_table(slot, frame: pd.DataFrame, empty_text: str, *, key: str,
                    height: int | None = None, pickable: bool = True, **markup) -> int | None:
    """`frame` as an HTML table in `slot` (st or a column), or `empty_text` when it has no rows;
    the position of the row last clicked (pickable), else None. `markup`: table_markup's
    formats, colours, progress, help_texts, sparks."""
    if len(frame) == 0:
        slot.info(empty_text)
        return None
    picked = (st.session_state.get(key) or {}).get("picked")
    picked = picked if isinstance(picked, int) and 0 <= picked < len(frame) else None
    meta = {"height": height, "pickable": pickable, "picked": picked}
    data = pack(meta, table_markup(frame, pickable=pickable, **markup))
    if slot is st:
        result = _table(key=key, data=data, on_picked_change=lambda: None)
    else:
        with slot:
            result = _table(key=key, data=data, on_picked_change=lambda: None)
    value = getattr(result, "picked", None) if result is not None else None
    return value if isinstance(value, int) and 0 <= value < len(frame) else None
