"""Charts drawn on the server as SVG, built once per chart and data.

A Vega-Lite chart sent to the browser is compiled, laid out and drawn there at every visit to the
page (Vega's dataflow, then a canvas): 0.03-0.05 s of the browser's main thread per chart on an
office PC's CPU, most of what a chart page costs beyond Streamlit's own floor. The same chart
drawn here by vl-convert (the Vega-Lite and Vega that exports/charts.py prints with) arrives as
finished SVG: the browser only lays out its paths and text. What Vega's tooltip showed on hover
becomes the mark's <title> (shown by the browser on hover, read by screen readers): the same
fields, in the same order, with the same formatting.

Altair builds and checks a chart against the Vega-Lite schema (20-60 ms a chart) and vl-convert
draws it (0.05-0.15 s): both depend only on the chart's data and settings, which come from cached
queries, so the SVG is kept with them, keyed by the data itself (a chart of one account's scope is
never shown to another scope, whose data differs)."""
from __future__ import annotations

import html
import re

import pandas as pd
import streamlit as st
import vl_convert

from exports.charts import CHART_FONTS
from ui import database
from ui.markup import html_text

# Pixels a chart is laid out in; the SVG then scales to its column (its text with it): a half
# column of 1366 to 1920 pixel screens is 490-780 pixels wide, a whole one 1000-1580.
HALF_WIDTH, FULL_WIDTH = 520, 1040
# Type sizes (pixels at the laid-out width) that read on a laptop and a projector alike; a chart's
# own settings win.
CONFIG = {"font": CHART_FONTS, "axis": {"labelFontSize": 13, "titleFontSize": 13},
          # Room for digits a little wider in the viewer's font than in the one measured here.
          "axisY": {"titlePadding": 10},
          "legend": {"labelFontSize": 13, "titleFontSize": 13}, "title": {"fontSize": 15}}
# A mark Vega labelled for screen readers: "field: value; field: value" (encodings, then the
# tooltip's fields under their titles).
_LABELLED = re.compile(r'<(path|text)\b([^>]*?) aria-label="([^"]*)"([^>]*?)(/?)>')
_SIZE = re.compile(r'^<svg([^>]*?) width="[\d.]+" height="[\d.]+"')


def _tooltip_titles(node, found: set[str]) -> set[str]:
    """The titles of every tooltip field in a Vega-Lite specification."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "tooltip" and isinstance(value, list):
                found.update(field["title"] for field in value
                             if isinstance(field, dict) and field.get("title"))
            else:
                _tooltip_titles(value, found)
    elif isinstance(node, list):
        for value in node:
            _tooltip_titles(value, found)
    return found


def _label_pairs(label: str, titles: set[str]) -> list[tuple[str, str]]:
    """A mark's aria-label ("field: value; field: value", escaped for XML) as (field, value)
    pairs. Vega lists the encodings, then the tooltip's fields under their titles: a piece that
    does not start with a field's name, after a tooltip field, is the rest of its value (a value
    holding "; ")."""
    pairs: list[list[str]] = []
    for piece in html.unescape(label).split("; "):
        key = piece.split(": ", 1)[0] if ": " in piece else None
        if pairs and pairs[-1][0] in titles and key not in titles:
            pairs[-1][1] += "; " + piece
        else:
            pairs.append([key or "", piece.split(": ", 1)[1] if key else piece])
    return [(key, value) for key, value in pairs]


def _with_titles(svg: str, titles: set[str]) -> str:
    """Each mark with tooltip fields gets a <title> of them, one "标题：值" a line (escaped)."""

    def titled(match: re.Match) -> str:
        tag, before, label, after, empty = match.groups()
        lines = [html.escape(f"{key}：{value}", quote=False)
                 for key, value in _label_pairs(label, titles) if key in titles and value]
        if not lines:
            return match.group(0)
        opened = f"<{tag}{before}{after}><title>{'&#10;'.join(lines)}</title>"
        return opened + (f"</{tag}>" if empty else "")

    return _LABELLED.sub(titled, svg)


def render_svg(spec: dict, width: int) -> str:
    """The chart as one line of SVG markup that fills its container's width. Nothing outside the
    specification's inline data is fetched (allowed_base_urls=[]); text uses the viewer's Chinese
    fonts. One line: inside Markdown a blank line would end the HTML block, and a line break in a
    text becomes a character reference."""
    config = dict(spec.get("config", {}))
    for key, value in CONFIG.items():
        config[key] = {**value, **config.get(key, {})} if isinstance(value, dict) else value
    # Room on the left for the vertical axis title in the viewer's font (see axisY above).
    padding = spec.get("padding", 5)
    if not isinstance(padding, dict):
        padding = dict.fromkeys(("top", "bottom", "right"), padding)
    spec = {**spec, "width": width, "config": config, "padding": {"left": 12, **padding}}
    svg = vl_convert.vegalite_to_svg(spec, allowed_base_urls=[])
    svg = _with_titles(svg, _tooltip_titles(spec, set()))
    svg = _SIZE.sub(r'<svg\1 style="width:100%;height:auto;display:block"', svg, count=1)
    return svg.replace("\r", "").replace("\n", "&#10;")


def _build_svg(build, args: tuple, kwargs: tuple, width: int) -> str:
    spec = build(*args, **dict(kwargs)).to_dict()
    # Altair's default theme gives a fixed size to views without one; the width is set here.
    view = spec.get("config", {}).get("view", {})
    for key in ("continuousWidth", "continuousHeight"):
        view.pop(key, None)
    return render_svg(spec, width)


# A chart is drawn from the data it is given and nothing else: kept until the server stops or newer
# charts push it out, not for a few minutes as a query is. When the queries are read afresh (every
# few minutes) and the figures have not changed, the chart is not drawn again (0.1-0.15 s each).
@st.cache_data(max_entries=256, show_spinner=False)
def _cached_svg(_build, name: str, args: tuple, kwargs: tuple, width: int) -> str:
    return _build_svg(_build, args, kwargs, width)


# The same charts under keys compared exactly (a chart's few dozen rows as tuples of values): no
# hashing of the tables and no unpickling of the SVG at every run of the page.
_kept_svg = database.Kept(None, 256)
EXACT_ROWS = 1_000  # a table longer than this is told apart by Streamlit's hash instead


def _rows_key(value):
    """A table as a value Python compares exactly (a missing value as None), None if it cannot
    be (too long); anything else as it is."""
    if not isinstance(value, pd.DataFrame):
        return value
    if len(value) > EXACT_ROWS:
        return None
    cells = value.astype(object).where(value.notna(), None)
    return ("table", tuple(value.columns), tuple(str(t) for t in value.dtypes), tuple(value.index),
            tuple(cells.itertuples(index=False, name=None)))


def chart_svg(build, *args, width: int = HALF_WIDTH, **kwargs) -> str:
    """The SVG of the Altair chart build(*args, **kwargs), laid out `width` pixels wide; drawn
    afresh while `cli.py bench` times the pages with caching off (ui.database.TIMINGS)."""
    settings = tuple(sorted(kwargs.items()))
    if database.TIMINGS is not None or not database.fully_hashed((args, settings)):
        return _build_svg(build, args, settings, width)
    name = f"{build.__module__}.{build.__qualname__}"
    tables = tuple(_rows_key(arg) for arg in args)
    key = None if any(t is None for t in tables) else database.exact_key(name, tables, settings, width)
    if key is None:
        return _cached_svg(build, name, args, settings, width)
    return _kept_svg.get(key, lambda: _build_svg(build, args, settings, width))


def show_chart(slot, build, *args, width: int = HALF_WIDTH, title: str = "", **kwargs) -> None:
    """The chart build(*args, **kwargs) across `slot` (st or a column): HALF_WIDTH for a column
    of two, FULL_WIDTH across the page; `title` (plain text) above it in the same element."""
    above = f"<p class='xf-chart-title'>{html_text(title)}</p>" if title else ""
    body = f"<div class='xf-chart'>{above}{chart_svg(build, *args, width=width, **kwargs)}</div>"
    if slot is st:
        _chart(data=body.encode("utf-8"))
    else:
        with slot:
            _chart(data=body.encode("utf-8"))


# How the chart reaches the page: its markup (the SVG built and escaped above, the title escaped)
# put in place by the browser's own parser, inside the element's own shadow root. As Markdown it
# went through Streamlit's Markdown renderer, which made every mark of the SVG a React element
# (st.html keeps no SVG); in the page's own tree every mark was matched against the page's styles.
# Either way 4-10 ms of the browser's main thread per chart at every visit, for nothing shown
# differently. Sent as UTF-8 bytes; the text keeps the page's font and colour (inherited).
_chart = st.components.v2.component("xinfang_chart", css=(
    ".xf-chart-title { font-weight: 600; margin: 0 0 0.25rem 0; color: rgb(49, 51, 63); }"), js="""
export default function (component) {
  const raw = component.data instanceof ArrayBuffer ? new Uint8Array(component.data) : component.data;
  const markup = typeof raw === 'string' ? raw : new TextDecoder().decode(raw);
  let root = component.parentElement.querySelector('.xf-chart-root');
  if (!root) {
    root = document.createElement('div');
    root.className = 'xf-chart-root';
    component.parentElement.appendChild(root);
  }
  root.innerHTML = markup;
}
""")
