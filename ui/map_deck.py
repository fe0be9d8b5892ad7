"""The situation map as a pydeck Deck: township areas, county outlines, names, case density and
key-case pins. Fully offline: no basemap, no outside URL. Tooltips: the markup is in the deck's
template (TOOLTIP_HTML) and every property is plain text (Streamlit escapes what it interpolates;
angle brackets of user text are turned into full-width ones besides)."""
from __future__ import annotations

import json
import math

import pandas as pd
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize
from shapely.geometry import shape

from ui.formatting import count_text, pct_text
from ui.labels import SUPERVISION_COLOURS

PIN_COLOURS = SUPERVISION_COLOURS
METRICS = {
    "case_count": ("案件量", "件", False),
    "per_10k": ("每万人案件量", "件/万人", False),
    "open_count": ("在办", "件", False),
    "overdue_count": ("逾期未结", "件", False),
    "satisfaction_pct": ("满意率", "%", True),
}
MAX_CLASSES = 5  # colours of the ramp
WHOLE_METRICS = {"case_count", "open_count", "overdue_count", "density"}  # counts: whole-number classes
# Light to dark red for "more is worse"; reversed for satisfaction.
RAMP = [(255, 245, 220), (253, 208, 162), (253, 141, 60), (217, 72, 1), (140, 45, 4)]
NO_DATA = (220, 220, 220)
AREA_ALPHA = 190  # areas are drawn see-through: the legend's swatches too, to look the same
# The glyph atlas is built in the browser at every draw: glyphs at 32 px (deck.gl's default is 64)
# take a quarter of the work and still read sharply at the labels' 14-20 px.
LABEL_ATLAS = {"sdf": True, "fontSize": 32, "buffer": 3, "radius": 8}
LABEL_FONT = "'Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, SimHei, sans-serif'"


class CompactDeck(pdk.Deck):
    """A Deck whose JSON (what Streamlit sends to the browser on every run) has no indentation and
    Chinese as UTF-8, not as \\u escapes: about a third of pydeck's own, the same content."""

    def to_json(self) -> str:
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"),
                          ensure_ascii=False)


TOOLTIP_LINES = 6
TOOLTIP_HTML = "<b>{title}</b>" + "".join(f"<div>{{line{i}}}</div>" for i in range(1, TOOLTIP_LINES + 1))


def plain(value) -> str:
    """Text for a tooltip property: no markup can come of it."""
    return ("" if value is None or (isinstance(value, float) and math.isnan(value))
            else str(value)).replace("<", "＜").replace(">", "＞")


def tooltip_fields(title: str, *lines: str) -> dict[str, str]:
    """title, line1..line6 as plain text for TOOLTIP_HTML (missing lines empty)."""
    fields = {"title": plain(title)}
    for i in range(1, TOOLTIP_LINES + 1):
        fields[f"line{i}"] = plain(lines[i - 1]) if i <= len(lines) else ""
    return fields


def metric_text(metric: str, value) -> str:
    if metric == "satisfaction_pct":
        return pct_text(value)
    if metric == "per_10k":
        return "—" if value is None or pd.isna(value) else f"{value:.1f}"
    return count_text(value)


def metric_bins(values: pd.Series, whole: bool = False) -> list[float]:
    """Up to four distinct cut points (quintiles) of the metric over the townships that have a
    value (fewer when values repeat; none with a single value). whole (counts): zero is a class
    of its own, each count a class while there are few, else quantiles of the non-zero counts
    cut at whole numbers; so the classes of a mostly-zero count still tell 1, 2 and 3 apart."""
    clean = values.dropna()
    if clean.nunique() < 2:
        return []
    if not whole:
        return sorted({float(clean.quantile(q)) for q in (0.2, 0.4, 0.6, 0.8)})
    positive = clean[clean > 0]
    cuts = {0.0} if (clean <= 0).any() and len(positive) else set()
    spare = MAX_CLASSES - len(cuts)  # classes left for the non-zero counts
    levels = sorted(positive.unique())
    if len(levels) <= spare:
        cuts |= {float(v) for v in levels[:-1]}
    else:
        cuts |= {float(math.floor(positive.quantile(i / spare))) for i in range(1, spare)}
    return sorted(c for c in cuts if clean.min() <= c < clean.max())


def band_labels(metric: str, bins: list[float], values: pd.Series) -> list[str]:
    """Each class's range over the values drawn, lowest first: "0 件", "1–3 件", "12.5–18.0"."""
    clean = values.dropna()
    if clean.empty:
        return []
    low, high = float(clean.min()), float(clean.max())
    if metric not in WHOLE_METRICS:
        edges = [low, *bins, high]
        return [metric_text(metric, a) if a == b else f"{metric_text(metric, a)}–{metric_text(metric, b)}"
                for a, b in zip(edges, edges[1:])] if bins else [metric_text(metric, low)]
    unit = METRICS[metric][1] if metric in METRICS else "件"
    firsts = [int(low)] + [int(b) + 1 for b in bins]
    lasts = [int(b) for b in bins] + [int(high)]
    return [f"{a:,} {unit}" if a == b else f"{a:,}–{b:,} {unit}" for a, b in zip(firsts, lasts)]


def class_colours(bins: list[float], higher_is_better: bool) -> list[tuple[int, int, int]]:
    """The colours of the len(bins) + 1 classes from the lowest value up, spread over the ramp
    (light = good)."""
    classes = len(bins) + 1
    ramp = RAMP[::-1] if higher_is_better else RAMP
    if classes == 1:
        return [ramp[len(ramp) // 2]]
    return [ramp[round(i * (len(ramp) - 1) / (classes - 1))] for i in range(classes)]


def fill_for(value, bins: list[float], higher_is_better: bool) -> tuple[int, int, int]:
    if value is None or pd.isna(value):
        return NO_DATA
    return class_colours(bins, higher_is_better)[sum(value > b for b in bins)]


NEUTRAL_FILL = (236, 236, 230)


def legend_bands(metric: str, bins: list[float], values: pd.Series) -> list[tuple[tuple, str]]:
    """(colour, range) of every class, lowest values first; the grey of 无数据 last when a
    township has no value."""
    colours = [(*c, AREA_ALPHA) for c in class_colours(bins, METRICS[metric][2])]
    bands = list(zip(colours, band_labels(metric, bins, values)))
    return bands + ([((*NO_DATA, AREA_ALPHA), "无数据")] if values.isna().any() else [])


def township_features(areas: pd.DataFrame, figures: pd.DataFrame, metric: str | None,
                      county_names: dict[str, str]) -> tuple[list[dict], list[tuple[tuple, str]]]:
    """GeoJSON features of the townships with their fill colour (neutral without a metric) and
    plain-text tooltip fields; the legend's bands (colour, range) of the metric."""
    merged = areas.merge(figures, left_on="code", right_on="township_code", how="left")
    if metric:
        merged = merged[merged["boundary"].notna() & (merged["boundary"] != "")]
    bins = metric_bins(merged[metric], metric in WHOLE_METRICS) if metric else []
    higher_is_better = METRICS[metric][2] if metric else False
    features = []
    for row in merged.itertuples():
        if not row.boundary:
            continue
        fill = fill_for(getattr(row, metric), bins, higher_is_better) if metric else NEUTRAL_FILL
        tip = tooltip_fields(
            f"{county_names.get(row.county_code, '')} {row.name}"
            f"{'（示意范围）' if row.boundary_schematic else ''}",
            f"案件量：{count_text(row.case_count)}",
            f"在办：{count_text(row.open_count)}　逾期未结：{count_text(row.overdue_count)}",
            f"满意率：{pct_text(row.satisfaction_pct)}（{count_text(row.satisfaction_den, '件评价')}）",
            f"每万人案件量：{metric_text('per_10k', row.per_10k)}")
        features.append({
            "type": "Feature",
            "geometry": json.loads(row.boundary),
            "properties": {"code": row.code, "name": plain(row.name), **tip,
                           "fill": [*fill, AREA_ALPHA]},
        })
    return features, (legend_bands(metric, bins, merged[metric]) if metric else [])


PIN_ORDER = {"green": 0, "grey": 1, "yellow": 2, "blue": 3, "red": 4}


def pin_records(board: pd.DataFrame, township_names: dict[str, str],
                big: bool = False) -> list[dict]:
    """One record per key case with coordinates: position, colour and plain-text tooltip fields;
    crossed-off (green) pins small (big: the projector's larger pins). "key" is the case number as
    it is (the SVG map reports it on a click, escaped); the deck is given the rest."""
    records = []
    for row in board.itertuples():
        if row.lon is None or pd.isna(row.lon):
            continue
        rgb, name, _ = PIN_COLOURS[row.colour]
        if row.colour == "green":
            left = f"已于 {row.cleared_on or '—'} 销号" if row.cleared_on else "已化解"
        elif row.days_left < 0:
            left = f"逾期 {-row.days_left} 天"
        else:
            left = f"剩余 {row.days_left} 天"
        place = f"属地：{township_names.get(row.township_code, '')}　分类：{row.category}"
        owner = f"包案领导：{row.leader}　责任单位：{row.unit_name}"
        if row.colour == "green":  # crossed off: who and when is what is asked of them
            tip = tooltip_fields(f"重点案件 {row.case_no}（{name}）", place, owner, left)
        else:
            summary = "" if row.summary is None else str(row.summary)
            tip = tooltip_fields(
                f"重点案件 {row.case_no}（{name}）", place, owner,
                f"化解时限：{row.resolve_by}（{left}）",
                f"进度：{row.progress_pct}%　阶段：{row.stage}",
                f"摘要：{summary[:60]}{'…' if len(summary) > 60 else ''}")
        small, large = (5, 11) if big else (3, 7)
        records.append({"key": str(row.case_no), "case_no": plain(row.case_no),
                        "lon": float(row.lon), "lat": float(row.lat),
                        "color": [*rgb, 140 if row.colour == "green" else 245],
                        "radius": small if row.colour == "green" else large, **tip,
                        "colour": row.colour})
    # Crossed-off pins small and underneath; the urgent ones last, so on top.
    return sorted(records, key=lambda r: PIN_ORDER[r["colour"]])


def county_features(counties: pd.DataFrame) -> list[dict]:
    return [{"type": "Feature", "geometry": json.loads(r.boundary),
             "properties": {"name": plain(r.name), **tooltip_fields(r.name)}}
            for r in counties.itertuples() if r.boundary]


def bounds_of(areas: pd.DataFrame) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the areas' boundaries, or of their centres without any."""
    if areas.empty:
        return None
    boxes = [shape(json.loads(b)).bounds for b in areas["boundary"] if b]
    if not boxes:
        return (areas["lon"].min(), areas["lat"].min(), areas["lon"].max(), areas["lat"].max())
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
            max(b[3] for b in boxes))


def view_for(areas: pd.DataFrame, width_px: int = 1000, height_px: int = 620) -> pdk.ViewState:
    """A Web-Mercator view that fits the areas into the map's size."""
    box = bounds_of(areas)
    if box is None:
        return pdk.ViewState(longitude=104.0, latitude=30.0, zoom=4)
    west, south, east, north = box
    centre_lat = (south + north) / 2
    lon_extent = max(east - west, 0.05) * 1.08
    lat_extent = max(north - south, 0.05) * 1.08 / math.cos(math.radians(centre_lat))
    zoom = min(math.log2(width_px * 360 / (512 * lon_extent)),
               math.log2(height_px * 360 / (512 * lat_extent)))
    return pdk.ViewState(longitude=(west + east) / 2, latitude=centre_lat,
                         zoom=max(4.0, min(12.0, zoom)), pitch=0, bearing=0)


def _labels(layer_id: str, labels: list[dict], size: int, weight: int) -> pdk.Layer:
    return pdk.Layer(
        "TextLayer", id=layer_id, data=labels, get_position=["lon", "lat"], get_text="name",
        get_size=size, get_color=[25, 25, 25, 255], character_set="'auto'",
        font_family=LABEL_FONT, font_weight=weight, get_text_anchor="'middle'",
        get_alignment_baseline="'center'", outline_width=4, outline_color=[255, 255, 255, 235],
        font_settings=LABEL_ATLAS, pickable=False)


# Case density as one dot per grid cell (GRID_DEGREES, about 2 km), darker and more opaque where
# more cases are. Drawn with the key-case pins' layer type: a HeatmapLayer aggregates on the GPU
# at every draw and, in a browser without a graphics card, takes seconds to appear.
DENSITY_COLOUR = (110, 40, 150)
DOT_RADIUS_M = 1000


def density_shades(density: pd.DataFrame) -> tuple[list[float], list[int]]:
    """The cells' whole-number classes of case_count and each class's opacity (0-255), spread
    from faint (40) to strong (200) however many classes there are."""
    bins = metric_bins(density["case_count"], whole=True)
    if not bins:  # every cell alike
        return bins, [120]
    return bins, [40 + round(160 * shade / len(bins)) for shade in range(len(bins) + 1)]


def density_dots(density: pd.DataFrame) -> list[dict]:
    """lon, lat and an RGBA colour per cell; up to five shades by the cells' case_count."""
    bins, alphas = density_shades(density)
    dots = []
    for lon, lat, count in zip(density["lon"], density["lat"], density["case_count"]):
        dots.append({"lon": round(float(lon), 4), "lat": round(float(lat), 4),
                     "color": [*DENSITY_COLOUR, alphas[sum(count > b for b in bins)]]})
    return dots


def density_bands(density: pd.DataFrame) -> list[tuple[tuple, str]]:
    """(RGBA colour, range of cases per cell) of every shade, lightest first."""
    if density.empty:
        return []
    bins, alphas = density_shades(density)
    labels = band_labels("density", bins, density["case_count"])
    return [((*DENSITY_COLOUR, alpha), label) for alpha, label in zip(alphas, labels)]


def situation_deck(township_geo: list[dict], county_geo: list[dict], labels: list[dict],
                   density: pd.DataFrame, pins: list[dict], view: pdk.ViewState,
                   show_density: bool, basemap_style: str | None = None,
                   county_labels: list[dict] | None = None, label_size: int = 15) -> pdk.Deck:
    """The deck; with no basemap_style nothing is loaded from anywhere."""
    layers = [
        pdk.Layer("GeoJsonLayer", id="townships",
                  data={"type": "FeatureCollection", "features": township_geo},
                  get_fill_color="properties.fill", get_line_color=[255, 255, 255, 220],
                  line_width_min_pixels=1, stroked=True, filled=True, pickable=True,
                  auto_highlight=True, highlight_color=[255, 255, 255, 90]),
        pdk.Layer("GeoJsonLayer", id="counties",
                  data={"type": "FeatureCollection", "features": county_geo},
                  get_line_color=[60, 60, 60, 255], line_width_min_pixels=2.5, stroked=True,
                  filled=False, pickable=False),
    ]
    if show_density and not density.empty:
        layers.append(pdk.Layer(
            "ScatterplotLayer", id="case_density", data=density_dots(density),
            get_position=["lon", "lat"], get_fill_color="color", get_radius=DOT_RADIUS_M,
            radius_units="'meters'", radius_min_pixels=1.5, stroked=False, pickable=False))
    # Pins first, names over them: a name is never hidden under a pin.
    layers.append(pdk.Layer(
        "ScatterplotLayer", id="key_cases", data=[{k: v for k, v in pin.items() if k != "key"}
                                                 for pin in pins], get_position=["lon", "lat"],
        get_fill_color="color", get_line_color=[255, 255, 255, 255], stroked=True,
        line_width_min_pixels=1.5, radius_units="'pixels'", get_radius="radius", pickable=True))
    layers.append(_labels("township_names", labels, label_size, 600))
    if county_labels:
        layers.append(_labels("county_names", county_labels, label_size + 6, 700))
    deck_args = {"layers": layers, "initial_view_state": view, "map_provider": None,
                 "tooltip": {"html": TOOLTIP_HTML, "style": {
                     "backgroundColor": "#ffffff", "color": "#222", "fontSize": "15px",
                     "border": "1px solid #999", "maxWidth": "420px"}}}
    if basemap_style:
        deck_args["map_provider"] = "mapbox"
        deck_args["map_style"] = basemap_style
    return CompactDeck(**deck_args)


ALERT_COLOURS = {"告警": (214, 39, 40), "异常": (240, 150, 0)}


def alert_areas(areas: pd.DataFrame, alerts: pd.DataFrame) -> tuple[list[dict], list[dict]]:
    """Township features (grey, alerted ones in their worst level's colour; the area's alerts as
    plain-text tooltip lines) and the names of the alerted townships."""
    counts = alerts[alerts["area_level"] == "township"].groupby("area_code")
    worst = {code: ("告警" if (g["level"] == "告警").any() else "异常") for code, g in counts}
    # Each area's alerts as tooltip lines, in the list's order (one pass, not a filter per area).
    lines_of: dict[str, list[str]] = {}
    for code, level, category, kind, detail in zip(alerts["area_code"], alerts["level"],
                                                   alerts["category"], alerts["kind"],
                                                   alerts["detail"]):
        lines_of.setdefault(code, []).append(f"[{level}] {category} {kind}：{detail}")

    def tip(row) -> dict:
        lines = lines_of.get(row.code, [])
        if len(lines) > TOOLTIP_LINES:
            lines = lines[:TOOLTIP_LINES - 1] + [f"另有 {len(lines) - TOOLTIP_LINES + 1} 条"]
        return tooltip_fields(row.name, *lines)

    features = []
    for row in areas.itertuples():
        if not row.boundary:
            continue
        level = worst.get(row.code)
        fill = [*ALERT_COLOURS[level], 170] if level else [225, 225, 225, 200]
        features.append({"type": "Feature", "geometry": json.loads(row.boundary),
                         "properties": {"code": row.code, "fill": fill, **tip(row)}})
    # With or without a boundary: the alerted townships' names, levels and tooltips.
    labels = [{"name": row.name, "lon": row.lon, "lat": row.lat, "level": worst[row.code],
               "tip": tip(row)} for row in areas.itertuples() if row.code in worst]
    return features, labels
