"""The maps as SVG drawn on the server: township areas, county outlines, case density, key-case pins
and names, projected (Web Mercator, as the deck) and fitted into the map's box.

Why not only the deck: a WebGL map is drawn by the graphics card; in a browser without one (a
virtual desktop, an old office PC, a headless browser) WebGL runs in software and compiles its
programs again at every visit, seconds per page. An SVG is drawn like the rest of the page, on any
browser, and its text is the page's own font. Nothing is loaded from anywhere.

The SVG is shown by a small component (`map_view`) that adds a tooltip and, where the page asks,
reports a click on an area or pin as a state value ("area:<code>" or "pin:<case no>"). Every text
in the SVG is escaped here; the component sets the tooltip as text, never as markup."""
from __future__ import annotations

import functools
import hashlib
import html
import json
import math
import re
from dataclasses import dataclass

import streamlit as st

import pandas as pd

from ui.labels import SUPERVISION_COLOURS
from ui.map_deck import DOT_RADIUS_M, TOOLTIP_LINES, alert_areas, bounds_of, density_dots

MARGIN = 0.04  # of the box, around the areas
MIN_EXTENT_DEG = 0.05
EARTH_M = 6_378_137.0


def _mercator_y(lat: float) -> float:
    lat = max(-85.0, min(85.0, lat))
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


@dataclass(frozen=True)
class Projection:
    """lon/lat to pixels of a width x height box, the bounds fitted with a margin and centred."""
    width: int
    height: int
    west: float
    north_y: float
    scale: float  # pixels per radian
    dx: float
    dy: float

    @classmethod
    def fit(cls, bounds: tuple[float, float, float, float] | None, width: int,
            height: int) -> "Projection":
        west, south, east, north = bounds or (97.0, 21.0, 106.0, 29.0)
        if east - west < MIN_EXTENT_DEG:
            west, east = (west + east - MIN_EXTENT_DEG) / 2, (west + east + MIN_EXTENT_DEG) / 2
        if north - south < MIN_EXTENT_DEG:
            south, north = (south + north - MIN_EXTENT_DEG) / 2, (south + north + MIN_EXTENT_DEG) / 2
        span_x = math.radians(east - west)
        span_y = _mercator_y(north) - _mercator_y(south)
        usable = 1 - 2 * MARGIN
        scale = min(width * usable / span_x, height * usable / span_y)
        dx = (width - span_x * scale) / 2
        dy = (height - span_y * scale) / 2
        return cls(width, height, west, _mercator_y(north), scale, dx, dy)

    def viewbox(self) -> tuple[float, float, float, float]:
        """(x, y, width, height): the fitted areas and their margin, not the whole box, so that the
        map fills the height (or width) it is given on the page, whatever that column's width."""
        margin = MARGIN * min(self.width, self.height)
        width, height = self.width - 2 * self.dx + 2 * margin, self.height - 2 * self.dy + 2 * margin
        return (self.dx - margin, self.dy - margin, width, height)

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return (self.dx + math.radians(lon - self.west) * self.scale,
                self.dy + (self.north_y - _mercator_y(lat)) * self.scale)

    def metres(self, metres: float, lat: float) -> float:
        """Pixels of a distance on the ground at a latitude."""
        return metres / (EARTH_M * math.cos(math.radians(lat))) * self.scale


def _rings(geometry: dict) -> list[list]:
    kind, coords = geometry.get("type"), geometry.get("coordinates") or []
    if kind == "Polygon":
        return list(coords)
    if kind == "MultiPolygon":
        return [ring for polygon in coords for ring in polygon]
    return []


def path_data(geometry: dict, projection: Projection) -> str:
    parts = []
    for ring in _rings(geometry):
        points = [projection.xy(float(lon), float(lat)) for lon, lat, *_ in ring]
        if len(points) >= 3:
            parts.append("M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in points) + "Z")
    return "".join(parts)


def _attr(text) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def tooltip_text(props: dict) -> str:
    """The tooltip fields (title, line1..line6) as lines of plain text, empty lines left out."""
    lines = [props.get("title", "")] + [props.get(f"line{i}", "")
                                         for i in range(1, TOOLTIP_LINES + 1)]
    return "\n".join(str(line) for line in lines if line)


def _rgba(colour) -> tuple[str, float]:
    r, g, b, *a = colour
    return f"rgb({int(r)},{int(g)},{int(b)})", (a[0] / 255 if a else 1.0)


def _tip(props: dict) -> str:
    # A newline in an attribute is kept as &#10;: the whole SVG stays one line of markup.
    return _attr(tooltip_text(props)).replace("\n", "&#10;")


def areas_svg(features: list[dict], projection: Projection, pick: bool = True) -> list[str]:
    parts = []
    for feature in features:
        props = feature.get("properties", {})
        d = path_data(feature.get("geometry") or {}, projection)
        if not d:
            continue
        fill, opacity = _rgba(props.get("fill", (236, 236, 230, 190)))
        picked = f' data-pick="area:{_attr(props.get("code"))}"' if pick and props.get("code") else ""
        parts.append(f'<path class="area" d="{d}" fill="{fill}" fill-opacity="{opacity:.2f}"'
                     f'{picked} data-tip="{_tip(props)}"/>')
    return parts


def outlines_svg(features: list[dict], projection: Projection, width: float = 2.5) -> list[str]:
    return [f'<path class="outline" d="{d}" stroke-width="{width}"/>'
            for d in (path_data(f.get("geometry") or {}, projection) for f in features) if d]


def dots_svg(dots: list[dict], projection: Projection) -> list[str]:
    parts = []
    for dot in dots:
        x, y = projection.xy(dot["lon"], dot["lat"])
        fill, opacity = _rgba(dot["color"])
        radius = max(1.5, projection.metres(DOT_RADIUS_M, dot["lat"]))
        parts.append(f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="{fill}" '
                     f'fill-opacity="{opacity:.2f}"/>')
    return parts


def pins_svg(pins: list[dict], projection: Projection) -> list[str]:
    """The pins, a few elements for thousands, in their order (pin_records: the urgent ones last,
    on top); each pin's place, size, colour, key and tooltip as JSON in a <metadata> element, from
    which the component finds the pin under the mouse. The browser parses, styles and paints every
    element at every visit: a city's 8,000 key cases as circles were most of the map page's time.
    The pins of one colour and size are one path through their places ("M x y x y ...", 10 bytes
    a pin; as circles drawn with arcs, 41), drawn with no line: a marker, a circle with its white
    rim, stands at each place, each over the ones before it as separate circles were."""
    groups: dict[tuple[str, float], list[str]] = {}
    marks = []
    for pin in pins:
        x, y = projection.xy(pin["lon"], pin["lat"])
        r = float(pin["radius"])
        groups.setdefault((pin["colour"], r), []).append(f"{x:.1f} {y:.1f}")
        marks.append([round(x, 1), round(y, 1), r, pin["colour"], str(pin["key"]),
                      tooltip_text(pin)])
    if not groups:
        return []
    # Ids unique to these pins: two maps in one page never share one.
    tag = hashlib.sha1(repr(sorted(groups.items())).encode()).hexdigest()[:8]
    defs, parts = [], []
    for n, ((colour, r), places) in enumerate(groups.items()):
        ref = f"xfp{tag}{n}"
        defs.append(f'<marker id="{ref}" markerUnits="userSpaceOnUse" overflow="visible">'
                    f'<circle class="pin {colour}" r="{r:g}"/></marker>')
        parts.append(f'<path class="dots {colour}" d="M{" ".join(places)}" '
                     f'style="marker:url(#{ref})"/>')
    parts.insert(0, f"<defs>{''.join(defs)}</defs>")
    parts.append(f'<metadata class="pins">{_attr(json.dumps(marks, ensure_ascii=False))}</metadata>')
    return parts


def pin_marks(svg: str) -> list[list]:
    """The pins of a map drawn by pins_svg: [x, y, radius, colour, key, tooltip] each."""
    found = re.search(r'<metadata class="pins">([^<]*)</metadata>', svg)
    return json.loads(html.unescape(found.group(1))) if found else []


def _placed(items: list[dict], projection: Projection):
    """(item, x, y) of the items that have a position."""
    for item in items:
        if item.get("lon") is not None and item.get("lat") is not None:
            yield (item, *projection.xy(float(item["lon"]), float(item["lat"])))


def labels_svg(labels: list[dict], projection: Projection, size: int, weight: int,
               beside: bool = False) -> list[str]:
    """Names centred on their point, or (beside) starting just right of it."""
    kind, shift = ("label beside", ' dx="8"') if beside else ("label", "")
    return [f'<text class="{kind}" x="{x:.1f}" y="{y:.1f}"{shift} font-size="{size}" '
            f'font-weight="{weight}">{_attr(label["name"])}</text>'
            for label, x, y in _placed(labels, projection)]


def svg_document(projection: Projection, layers: list[list[str]], title: str) -> str:
    """The map, its layers bottom first; on the page it is as high as map_view is told and as
    wide as the column, the areas as large as both allow."""
    body = "".join(part for layer in layers for part in layer)
    box = " ".join(f"{v:.1f}" for v in projection.viewbox())
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{box}" '
            f'role="img" aria-label="{_attr(title)}" preserveAspectRatio="xMidYMid meet">'
            f"<title>{_attr(title)}</title>{body}</svg>")


MAP_CSS = """
.xf-map { position: relative; width: 100%; }
.xf-map svg { display: block; width: 100%; height: var(--xf-map-height, 620px); }
.xf-map .area { stroke: #fff; stroke-width: 1; fill-rule: evenodd; }
.xf-map .area[data-pick], .xf-map .pin { cursor: pointer; }
.xf-map .area:hover { stroke: #222; stroke-width: 2; }
.xf-map .area.picked { stroke: #111; stroke-width: 3; }
.xf-map .outline { fill: none; stroke: #3c3c3c; pointer-events: none; stroke-linejoin: round; }
.xf-map .dot, .xf-map .label { pointer-events: none; }
.xf-map .label.beside { text-anchor: start; }
.xf-map .pin { stroke: #fff; stroke-width: 1.5; }
.xf-map .dots { fill: none; stroke: none; cursor: pointer; }
.xf-map .pin.hover { stroke: #111; stroke-width: 2.5; pointer-events: none; }
.xf-map .pin.picked { stroke: #111; stroke-width: 3; pointer-events: none; }
.xf-map .label { fill: #191919; text-anchor: middle; dominant-baseline: central;
  paint-order: stroke; stroke: rgba(255,255,255,0.92); stroke-width: 4px; stroke-linejoin: round;
  font-family: 'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', SimHei, sans-serif; }
""" + "".join(  # the pins' colours; crossed-off (green) ones see-through
    f".xf-map .pin.{key} {{ fill: rgb{rgb}; fill-opacity: {0.55 if key == 'green' else 0.96}; }}\n"
    for key, (rgb, _label, _meaning) in SUPERVISION_COLOURS.items()) + """
.xf-tip { position: absolute; pointer-events: none; background: #fff; color: #222;
  border: 1px solid #999; padding: 6px 9px; white-space: pre-line; max-width: 420px;
  box-shadow: 0 2px 6px rgba(0,0,0,0.18); z-index: 10; line-height: 1.5; display: none; }
.xf-tip::first-line { font-weight: 700; }
"""

MAP_JS = """
export default function (component) {
  const { parentElement, setStateValue } = component;
  // UTF-8 bytes: one line of JSON (height, pickable, picked, tipSize, pins), a newline, the SVG.
  const raw = component.data instanceof ArrayBuffer ? new Uint8Array(component.data) : component.data;
  const text = new TextDecoder().decode(raw);
  const cut = text.indexOf('\\n');
  const data = JSON.parse(text.slice(0, cut));
  data.svg = text.slice(cut + 1);
  let root = parentElement.querySelector('.xf-map');
  if (!root) {
    root = document.createElement('div');
    root.className = 'xf-map';
    parentElement.appendChild(root);
  }
  root.style.setProperty('--xf-map-height', data.height + 'px');
  root.innerHTML = data.svg;
  const svg = root.querySelector('svg');
  // The pins are drawn as one path per colour and size. Their places and tooltips ([x, y, r, colour, key,
  // tip] each; a city's thousands of key cases, megabytes) are fetched from data.pins once the
  // mouse comes over the map, not sent with every visit of the page.
  let pins = [], loading = null;
  const loadPins = () => loading || (loading = (data.pins
    ? fetch(data.pins, {credentials: 'same-origin'}).then(r => (r.ok ? r.json() : []))
    : Promise.resolve([])
  ).catch(() => []).then(found => { pins = Array.isArray(found) ? found : []; return pins; }));
  root.xfPins = loadPins;  // for a script of the page (the browser tests find a pin's place)
  const layer = {};
  root.querySelectorAll('path.dots').forEach((path, i) => { layer[path.classList[1]] = i; });
  const ring = (pin, kind) => {
    const c = document.createElementNS('http://www.w3.org/2000/svg', 'circle');
    c.setAttribute('cx', pin[0]); c.setAttribute('cy', pin[1]); c.setAttribute('r', pin[2]);
    c.setAttribute('class', 'pin ' + pin[3] + ' ' + kind);
    svg.appendChild(c);
    return c;
  };
  // The pin under the mouse: the one drawn last (on top) whose circle holds the point.
  const pinAt = (event) => {
    const found = pins;
    const matrix = found.length && svg.getScreenCTM();
    if (!matrix) return null;
    const p = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix.inverse());
    let best = null, bestAt = -1;
    for (let i = 0; i < found.length; i++) {
      const [x, y, r, colour] = found[i];
      const at = layer[colour] * found.length + i;
      if ((p.x - x) ** 2 + (p.y - y) ** 2 <= (r + 1) ** 2 && at > bestAt) { best = found[i]; bestAt = at; }
    }
    return best;
  };
  const tip = document.createElement('div');
  tip.className = 'xf-tip';
  tip.style.fontSize = data.tipSize + 'px';
  root.appendChild(tip);
  if (data.picked) {
    const key = data.picked.startsWith('pin:') ? data.picked.slice(4) : null;
    if (key !== null) loadPins().then(found => {
      const pin = found.find(p => p[4] === key);
      if (pin) ring(pin, 'picked');
    });
    const chosen = root.querySelector('[data-pick="' + CSS.escape(data.picked) + '"]');
    if (chosen) chosen.classList.add('picked');
  }
  let hover = null, last = null;
  const show = (event) => {
    const pin = pinAt(event);
    root.style.cursor = pin ? 'pointer' : '';  // the pins are markers: no element of their own
    if (hover && hover.pin !== pin) { hover.remove(); hover = null; }
    if (pin && !hover) { hover = ring(pin, 'hover'); hover.pin = pin; }
    const target = pin ? null : event.target.closest('[data-tip]');
    const text = pin ? pin[5] : (target && target.getAttribute('data-tip'));
    if (!text) { tip.style.display = 'none'; return; }
    tip.textContent = text;
    tip.style.display = 'block';
    const box = root.getBoundingClientRect();
    let x = event.clientX - box.left + 14, y = event.clientY - box.top + 14;
    if (x + tip.offsetWidth > box.width) x = Math.max(0, x - tip.offsetWidth - 28);
    if (y + tip.offsetHeight > box.height) y = Math.max(0, y - tip.offsetHeight - 28);
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
  };
  root.onmouseenter = loadPins;
  root.onmousemove = (event) => {
    last = event;
    if (!loading) loadPins().then(() => { if (last) show(last); });
    show(event);
  };
  root.onmouseleave = () => {
    last = null;
    tip.style.display = 'none';
    if (hover) { hover.remove(); hover = null; }
  };
  root.onclick = (event) => {
    if (!data.pickable) return;
    loadPins().then(() => {
      const pin = pinAt(event);
      const target = pin ? null : event.target.closest('[data-pick]');
      setStateValue('picked', pin ? 'pin:' + pin[4] : target ? target.getAttribute('data-pick') : null);
    });
  };
}
"""

_map = st.components.v2.component("xinfang_svg_map", css=MAP_CSS, js=MAP_JS)


def map_view(svg: str, height: int, key: str, pickable: bool = False, picked: str | None = None,
             tip_size: int = 15) -> str | None:
    """Shows the SVG map `height` pixels high across the column; with pickable, the last area or
    pin clicked ("area:<code>", "pin:<case no>"; None: a click beside them), kept per key."""
    shown, pins = split_pins(svg)
    result = _map(key=key, data=pack({"height": height, "pickable": pickable, "picked": picked,
                                      "tipSize": tip_size, "pins": pins_url(pins, key)}, shown),
                  on_picked_change=lambda: None, height=height)
    value = getattr(result, "picked", None) if result is not None else None
    return value if isinstance(value, str) else None


_PINS = re.compile(r'<metadata class="pins">([^<]*)</metadata>')


@functools.lru_cache(maxsize=8)
def split_pins(svg: str) -> tuple[str, str]:
    """(the SVG without its pins' places and tooltips, those as JSON). Inside the SVG they were
    megabytes on a city's map, sent, decoded and parsed at every visit of the page before anything
    was shown (40 % of the map page's time in the browser); the browser fetches them apart, once
    the mouse is over the map."""
    found = _PINS.search(svg)
    if not found:
        return svg, ""
    return svg[:found.start()] + svg[found.end():], html.unescape(found.group(1))


def pins_url(pins: str, key: str) -> str | None:
    """The address the browser fetches the pins' JSON from (None: no pins): Streamlit's media
    store, as st.image's pictures are. The file is this session's while its page shows the map
    (forgotten at the next run that does not draw it), the same data is stored once for all who
    see it, and its name is a hash of its content: nobody finds it who has not been sent it."""
    from streamlit import runtime

    if not pins or not runtime.exists():  # a page run outside a server: no store to fetch from
        return None
    url = runtime.get_instance().media_file_mgr.add(pins.encode("utf-8"), "application/json",
                                                    f"xinfang-map-pins-{key}")
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}{url}" if base else url


def pack(meta: dict, svg: str) -> bytes:
    """What map_view sends: the settings as one line of JSON, then the SVG, in UTF-8. As bytes the
    SVG goes as it is; as a JSON value every Chinese character would be sent as a six-byte escape
    and every quote escaped."""
    return (json.dumps(meta, ensure_ascii=False) + "\n" + svg).encode("utf-8")


def unpack(raw: bytes) -> tuple[dict, str]:
    meta, _, svg = raw.decode("utf-8").partition("\n")
    return json.loads(meta), svg


def parse_pick(value: str | None) -> tuple[str | None, str | None]:
    """("area" or "pin", code) of a picked value; (None, None) for anything else."""
    if not value or ":" not in value:
        return None, None
    kind, _, code = value.partition(":")
    return (kind, code) if kind in ("area", "pin") and code else (None, None)


def situation_svg(township_geo: list[dict], county_geo: list[dict], labels: list[dict],
                  density: pd.DataFrame, pins: list[dict], projection: Projection,
                  county_labels: list[dict] | None = None, label_size: int = 15,
                  title: str = "重点案件分布图") -> str:
    """The situation map: areas, county outlines, case density, key-case pins, names on top."""
    layers = [areas_svg(township_geo, projection), outlines_svg(county_geo, projection)]
    if not density.empty:
        layers.append(dots_svg(density_dots(density), projection))
    layers.append(pins_svg(pins, projection))
    layers.append(labels_svg(labels, projection, label_size, 600))
    if county_labels:
        layers.append(labels_svg(county_labels, projection, label_size + 6, 700))
    return svg_document(projection, layers, title)


ALERT_MARKS = {"告警": "red", "异常": "yellow"}  # the pins' colour classes


def alerts_svg(areas: pd.DataFrame, alerts: pd.DataFrame, width: int, height: int) -> str:
    """Townships in grey, alerted ones in their level's colour, with a marker in that colour (a
    town's street office is too small to see coloured) and their names beside it."""
    features, labels = alert_areas(areas, alerts)
    projection = Projection.fit(bounds_of(areas), width, height)
    marks = [f'<circle class="pin {ALERT_MARKS[label["level"]]}" cx="{x:.1f}" cy="{y:.1f}" r="5" '
             f'data-tip="{_tip(label["tip"])}"/>' for label, x, y in _placed(labels, projection)]
    return svg_document(projection, [areas_svg(features, projection, pick=False), marks,
                                     labels_svg(labels, projection, 12, 700, beside=True)],
                        "预警分布图")
