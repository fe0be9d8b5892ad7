"""A table drawn as plain HTML: sortable by a click on a column's header, a click on a row
reported to the page (the drill-down), the figures formatted here.

Why not st.dataframe: its grid is drawn on a canvas by a large script that lays out and measures
cells in JavaScript, with selection on: 15-25 ms of the browser's main thread at every visit of a
page, more than the rest of the page. A table in the browser's own HTML costs it one parse and one
layout; its text is the page's own, crisp on a projector, and can be selected and copied.

A long table (the battle list's thousand cases, the ranking's 137 townships, 500 search results)
laid out whole costs as much as the grid: given a height, it is drawn a screen at a time. The
server sends every row's markup, one line each; the browser puts in the page only the rows in view
and a few either side, blank rows of the same height standing in for the others, and draws
again as it scrolls. Its columns are fixed from their widest cells, so that they stay put.

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
.xf-table.fixed { table-layout: fixed; }
.xf-table.fixed td { overflow: hidden; text-overflow: ellipsis; }
.xf-table tr.pad > td { padding: 0; border: 0; }
.xf-table tbody tr.pad, .xf-table.pickable tbody tr.pad:hover { background: none; cursor: default; }
.xf-table svg.spark { width: 7rem; height: 1.4rem; vertical-align: middle; }
.xf-table svg.spark polyline { fill: none; stroke: #2f6db5; stroke-width: 1.5;
  vector-effect: non-scaling-stroke; }
"""
JS = """
export default function (component) {
  const { parentElement, setStateValue } = component;
  const raw = component.data instanceof ArrayBuffer ? new Uint8Array(component.data) : component.data;
  const text = typeof raw === 'string' ? raw : new TextDecoder().decode(raw);
  const lines = text.split('\\n');
  const meta = JSON.parse(lines[0]);
  const rows = lines.slice(2);  // one row's markup a line, already escaped by the server
  let root = parentElement.querySelector('.xf-table-root');
  if (!root) {
    root = document.createElement('div');
    root.className = 'xf-table-root';
    parentElement.appendChild(root);
  }
  root.style.maxHeight = meta.height ? meta.height + 'px' : '';
  root.innerHTML = lines[1] + '<tbody></tbody></table>';
  const body = root.querySelector('tbody');
  if (meta.window) root.querySelector('table').ariaRowCount = rows.length + 1;
  const columns = root.querySelectorAll('th').length;
  let order = rows.map((_row, i) => i);
  // A long table: the rows in view and a few either side; blank rows of the same height stand in
  // for the others, so that the scroll bar is the whole table's.
  // Rows drawn beyond each edge of the view: enough for a wheel's turn before the next frame.
  const MARGIN = 6;
  let rowHeight = 0, drawn = '';
  const pad = (height) =>
    '<tr class="pad"><td colspan="' + columns + '" style="height:' + height + 'px"></td></tr>';
  const draw = () => {
    let first = 0, last = order.length;
    if (meta.window) {
      if (!rowHeight) {
        body.innerHTML = rows[order[0]];
        rowHeight = body.rows[0].getBoundingClientRect().height || 34;
      }
      const view = root.clientHeight || meta.height;
      first = Math.max(0, Math.floor(root.scrollTop / rowHeight) - MARGIN);
      first -= first % 2;  // even: the striped rows stay striped as they scroll
      last = Math.min(order.length, first + Math.ceil(view / rowHeight) + 2 * MARGIN);
      if (drawn === first + ':' + last) return;
      drawn = first + ':' + last;
    }
    const shown = [];
    for (let i = first; i < last; i++) shown.push(rows[order[i]]);
    body.innerHTML = meta.window
      ? pad(first * rowHeight) + shown.join('') + pad((order.length - last) * rowHeight)
      : shown.join('');
    if (meta.window) {  // screen readers told where the drawn rows stand in the whole table
      body.querySelectorAll('tr[data-row]').forEach((row, i) => { row.ariaRowIndex = first + i + 2; });
    }
    if (meta.picked !== null) {
      const row = body.querySelector('tr[data-row="' + meta.picked + '"]');
      if (row) row.classList.add('picked');
    }
  };
  draw();
  if (meta.window) {
    let asked = false;
    root.onscroll = () => {
      if (asked) return;
      asked = true;
      requestAnimationFrame(() => { asked = false; draw(); });
    };
  }
  // A click on a header sorts by that column (again: the other way); missing values last. The
  // values to sort by are read from the rows' markup the first time a column is sorted.
  let cells = null;
  const keys = {};
  const sortKeys = (i) => {
    if (!keys[i]) {
      if (!cells) {
        const parsed = document.createElement('template');
        parsed.innerHTML = '<table><tbody>' + rows.join('') + '</tbody></table>';
        cells = Array.from(parsed.content.querySelector('tbody').rows, (row) => row.cells);
      }
      keys[i] = cells.map((row) => {
        const cell = row[i];
        const v = cell.dataset.v;
        return v === undefined ? cell.textContent : v === '' ? null : Number(v);
      });
    }
    return keys[i];
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
      const key = sortKeys(i);
      order = rows.map((_row, n) => n);
      order.sort((a, b) => {
        const x = key[a], y = key[b];
        if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
        return sign * (typeof x === 'number' ? x - y : String(x).localeCompare(String(y), 'zh-CN'));
      });
      drawn = '';
      draw();
    };
  });
  // The keyboard does what the mouse does: Enter (or Space) on a header sorts, on a row opens it.
  root.onkeydown = (event) => {
    if (event.key !== 'Enter' && event.key !== ' ') return;
    const target = event.target.closest('th, tbody tr[data-row]');
    if (!target) return;
    event.preventDefault();
    target.click();
  };
  if (meta.pickable) {
    body.onclick = (event) => {
      const row = event.target.closest('tr[data-row]');
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


def _text(value) -> str:
    """Escaped for a cell; a line break (user text) as a character reference, so that a row's
    markup stays one line."""
    return html.escape(value).replace("\r", "").replace("\n", "&#10;")


def _plain(value) -> str:
    """A value without a format: whole numbers with separators, one decimal, dates as dates."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, (dt.date, pd.Timestamp)):
        return f"{value:%Y-%m-%d}"
    return str(value)


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


def _width(texts) -> float:
    """About how wide the widest of `texts` is, in em: a Chinese character 1, others 0.55."""
    return max((0.55 * len(t) + 0.225 * (len(t.encode("utf-8")) - len(t)) for t in texts),
               default=0.0)


def _column(series: pd.Series, fmt, colours: dict[str, str] | None, progress: bool, spark,
            dash: bool = False) -> tuple[list[str], float]:
    """One column's <td>s and about how wide its widest cell is (em). Values formatted and
    escaped; numbers right-aligned and sorted as numbers, a missing one blank (`dash`: "—") and
    sorted last. Each distinct value is formatted once (a column of a thousand rows repeats its
    places, units and stages)."""
    if spark is not None:
        return [_spark(v, *spark) for v in series], 7.5
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    shown = FORMATS[fmt] if isinstance(fmt, str) else fmt or _plain
    extra = 0.0
    if colours is not None:
        def cell(value) -> tuple[str, str]:
            label = _text(str(value))
            colour = colours.get(str(value))
            return (f"<td><span class='tag' style='background:{html.escape(colour)}'>{label}"
                    f"</span></td>" if colour else f"<td>{label}</td>"), label
        extra = 1.0
    elif progress:
        def cell(value) -> tuple[str, str]:
            share = max(0.0, min(100.0, float(value)))
            return (f"<td data-v='{share:g}'><span class='bar'><i style='width:{share:.0f}%'></i>"
                    f"</span>{share:.0f}%</td>"), "100%"
        extra = 5.0
    else:
        def cell(value) -> tuple[str, str]:
            text = _text(shown(value))
            if _is_number(value) and math.isfinite(value):
                return f"<td class='num' data-v='{value!r}'>{text}</td>", text
            return f"<td>{text}</td>", text
    text = "—" if dash else ""
    blank = (f"<td class='num' data-v=''>{text}</td>" if dash and numeric else
             f"<td data-v=''>{text}</td>" if fmt or numeric or dash or progress else "<td></td>")
    made: dict = {}
    cells = []
    for value, gone in zip(series.tolist(), series.isna().tolist()):  # numpy scalars as Python's
        if gone:
            cells.append(blank)
            continue
        try:
            done = made[value]
        except KeyError:
            done = made[value] = cell(value)
        except TypeError:  # a value that cannot be a key
            done = cell(value)
        cells.append(done[0])
    return cells, _width([text, *(text for _cell, text in made.values())]) + extra


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _header(column, numeric: bool, help_text: str | None) -> str:
    attributes = " tabindex='0'" + (" class='num'" if numeric else "")
    if help_text:
        attributes += f" title='{html.escape(help_text)}'"
    return f"<th{attributes}>{html.escape(str(column))}</th>"


def table_parts(frame: pd.DataFrame, formats: dict | None = None,
                colours: dict[str, dict[str, str]] | None = None, progress: tuple = (),
                pickable: bool = True, help_texts: dict[str, str] | None = None,
                sparks: dict[str, tuple[float, float]] | None = None, dashes: tuple = (),
                widths: bool = False) -> tuple[str, list[str]]:
    """The table's opening markup (with its header) and one line of markup per row of `frame`
    (data-row: its position). Each column formatted by `formats` (a FORMATS name or a function),
    `colours` (column -> value -> CSS colour: the value as a coloured label), `progress` (columns
    of 0-100 drawn as bars), `sparks` (column -> (low, high): a list of numbers a row drawn as a
    small line), `dashes` (columns whose missing values read "—"). `widths`: the columns' widths fixed from their widest cells (a long table drawn a
    screen at a time keeps its columns where they are while it scrolls)."""
    formats, colours, help_texts, sparks = formats or {}, colours or {}, help_texts or {}, sparks or {}
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and c not in colours or c in progress
               for c in frame.columns]
    head = "".join(_header(c, is_num, help_texts.get(c)) for c, is_num in zip(frame.columns, numeric))
    columns = [_column(frame[c], formats.get(c), colours.get(c), c in progress, sparks.get(c),
                       c in dashes) for c in frame.columns]
    focus = " tabindex='0'" if pickable else ""
    rows = [f"<tr data-row='{position}'{focus}>{''.join(cells)}</tr>"
            for position, cells in enumerate(zip(*(cells for cells, _w in columns)))]
    kind = "xf-table pickable" if pickable else "xf-table"
    opening = f"<table class='{kind}'>"
    if widths:  # the header's sort mark and the cells' padding beside the text; long text cut
        ems = [min(24.0, max(width, _width([str(c)]) + 1.2)) + 1.4
               for c, (_cells, width) in zip(frame.columns, columns)]
        opening = (f"<table class='{kind} fixed' style='min-width:{sum(ems):.1f}em'><colgroup>"
                   + "".join(f"<col style='width:{em:.1f}em'>" for em in ems) + "</colgroup>")
    return f"{opening}<thead><tr>{head}</tr></thead>", rows


# A table longer than this (and given a height) is drawn a screen at a time: only the rows in view
# and a few either side are in the page, the others arrive as it scrolls.
WINDOW_FROM = 40


def show_html_table(slot, frame: pd.DataFrame, empty_text: str, *, key: str,
                    height: int | None = None, pickable: bool = True, **markup) -> int | None:
    """`frame` as an HTML table in `slot` (st or a column), or `empty_text` when it has no rows;
    the position of the row last clicked (pickable), else None. `markup`: table_parts' formats,
    colours, progress, help_texts, sparks, dashes."""
    if len(frame) == 0:
        slot.info(empty_text)
        return None
    picked = (st.session_state.get(key) or {}).get("picked")
    picked = picked if isinstance(picked, int) and 0 <= picked < len(frame) else None
    window = bool(height) and len(frame) > WINDOW_FROM
    head, rows = table_parts(frame, pickable=pickable, widths=window, **markup)
    meta = {"height": height, "pickable": pickable, "picked": picked, "window": window}
    data = pack(meta, "\n".join([head, *rows]))
    if slot is st:
        result = _table(key=key, data=data, on_picked_change=lambda: None)
    else:
        with slot:
            result = _table(key=key, data=data, on_picked_change=lambda: None)
    value = getattr(result, "picked", None) if result is not None else None
    return value if isinstance(value, int) and 0 <= value < len(frame) else None
