"""The situation map as a pydeck Deck: township areas, county outlines, names, case density and
key-case pins. Fully offline: no basemap, no outside URL. Every tooltip value is HTML-escaped here."""
from __future__ import annotations

import html
import json
import math

import pandas as pd
import pydeck as pdk
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
# Light to dark red for "more is worse"; reversed for satisfaction.
RAMP = [(255, 245, 220), (253, 208, 162), (253, 141, 60), (217, 72, 1), (140, 45, 4)]
NO_DATA = (220, 220, 220)
# The glyph atlas is built in the browser at every draw: glyphs at 32 px (deck.gl's default is 64)
# take a quarter of the work and still read sharply at the labels' 14-20 px.
LABEL_ATLAS = {"sdf": True, "fontSize": 32, "buffer": 3, "radius": 8}
LABEL_FONT = "'Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, SimHei, sans-serif'"


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def metric_text(metric: str, value) -> str:
    if metric == "satisfaction_pct":
        return pct_text(value)
    if metric == "per_10k":
        return "—" if value is None or pd.isna(value) else f"{value:.1f}"
    return count_text(value)


def metric_bins(values: pd.Series) -> list[float]:
    """Four cut points (quintiles) of the metric over the townships that have a value."""
    clean = values.dropna()
    if clean.empty:
        return []
    return [float(clean.quantile(q)) for q in (0.2, 0.4, 0.6, 0.8)]


def fill_for(value, bins: list[float], higher_is_better: bool) -> tuple[int, int, int]:
    if value is None or pd.isna(value) or not bins:
        return NO_DATA
    index = sum(value > b for b in bins)
    return RAMP[len(RAMP) - 1 - index] if higher_is_better else RAMP[index]


def township_features(areas: pd.DataFrame, figures: pd.DataFrame, metric: str,
                      county_names: dict[str, str]) -> tuple[list[dict], list[float]]:
    """GeoJSON features of the townships with their fill colour and escaped tooltip."""
    merged = areas.merge(figures, left_on="code", right_on="township_code", how="left")
    bins = metric_bins(merged[metric])
    higher_is_better = METRICS[metric][2]
    features = []
    for row in merged.itertuples():
        if not row.boundary:
            continue
        value = getattr(row, metric)
        tooltip = (
            f"<b>{_e(county_names.get(row.county_code, ''))} {_e(row.name)}</b>"
            f"{'（示意范围）' if row.boundary_schematic else ''}<br/>"
            f"案件量：{_e(count_text(row.case_count))}<br/>"
            f"在办：{_e(count_text(row.open_count))}　逾期未结：{_e(count_text(row.overdue_count))}<br/>"
            f"满意率：{_e(pct_text(row.satisfaction_pct))}"
            f"（{_e(count_text(row.satisfaction_den, '件评价'))}）<br/>"
            f"每万人案件量：{_e(metric_text('per_10k', row.per_10k))}")
        features.append({
            "type": "Feature",
            "geometry": json.loads(row.boundary),
            "properties": {"code": row.code, "name": row.name, "tooltip": tooltip,
                           "fill": [*fill_for(value, bins, higher_is_better), 190]},
        })
    return features, bins


def pin_records(board: pd.DataFrame, township_names: dict[str, str]) -> list[dict]:
    """One record per key case with coordinates: position, colour and escaped tooltip."""
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
        tooltip = (
            f"<b>重点案件 {_e(row.case_no)}</b>（{_e(name)}）<br/>"
            f"属地：{_e(township_names.get(row.township_code, ''))}　分类：{_e(row.category)}<br/>"
            f"包案领导：{_e(row.leader)}<br/>责任单位：{_e(row.unit_name)}<br/>"
            f"化解时限：{_e(row.resolve_by)}（{_e(left)}）<br/>"
            f"进度：{_e(row.progress_pct)}%　阶段：{_e(row.stage)}<br/>"
            f"摘要：{_e(row.summary)}")
        records.append({"case_no": row.case_no, "lon": float(row.lon), "lat": float(row.lat),
                        "color": [*rgb, 150 if row.colour == "green" else 240],
                        "radius": 4 if row.colour == "green" else 8, "tooltip": tooltip})
    # Crossed-off pins small and underneath; the urgent ones last, so on top.
    order = {"green": 0, "grey": 1, "yellow": 2, "blue": 3, "red": 4}
    return sorted(records, key=lambda r: order[next(
        k for k, v in PIN_COLOURS.items() if tuple(v[0]) == tuple(r["color"][:3]))])


def county_features(counties: pd.DataFrame) -> list[dict]:
    return [{"type": "Feature", "geometry": json.loads(r.boundary),
             "properties": {"name": r.name, "tooltip": f"<b>{_e(r.name)}</b>"}}
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


def density_dots(density: pd.DataFrame) -> list[dict]:
    """lon, lat and an RGBA colour per cell; five shades by the cells' quintiles of case_count."""
    bins = metric_bins(density["case_count"])
    dots = []
    for lon, lat, count in zip(density["lon"], density["lat"], density["case_count"]):
        shade = sum(count > b for b in bins)
        dots.append({"lon": round(float(lon), 4), "lat": round(float(lat), 4),
                     "color": [*DENSITY_COLOUR, 40 + 40 * shade]})
    return dots


def situation_deck(township_geo: list[dict], county_geo: list[dict], labels: list[dict],
                   density: pd.DataFrame, pins: list[dict], view: pdk.ViewState,
                   show_density: bool, basemap_style: str | None = None,
                   county_labels: list[dict] | None = None) -> pdk.Deck:
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
    layers.append(_labels("township_names", labels, 14, 600))
    if county_labels:
        layers.append(_labels("county_names", county_labels, 20, 700))
    layers.append(pdk.Layer(
        "ScatterplotLayer", id="key_cases", data=pins, get_position=["lon", "lat"],
        get_fill_color="color", get_line_color=[255, 255, 255, 255], stroked=True,
        line_width_min_pixels=1.5, radius_units="'pixels'", get_radius="radius", pickable=True))
    deck_args = {"layers": layers, "initial_view_state": view, "map_provider": None,
                 "tooltip": {"html": "{tooltip}", "style": {
                     "backgroundColor": "#ffffff", "color": "#222", "fontSize": "14px",
                     "border": "1px solid #999", "maxWidth": "360px"}}}
    if basemap_style:
        deck_args["map_provider"] = "mapbox"
        deck_args["map_style"] = basemap_style
    return pdk.Deck(**deck_args)


ALERT_COLOURS = {"告警": (214, 39, 40), "异常": (240, 150, 0)}


def alerts_deck(areas: pd.DataFrame, alerts: pd.DataFrame, names: dict[str, str]) -> pdk.Deck:
    """Townships in grey, alerted ones marked in their level's colour; offline, escaped tooltips."""
    counts = alerts[alerts["area_level"] == "township"].groupby("area_code")
    worst = {code: ("告警" if (g["level"] == "告警").any() else "异常") for code, g in counts}
    features = []
    for row in areas.itertuples():
        if not row.boundary:
            continue
        level = worst.get(row.code)
        fill = [*ALERT_COLOURS[level], 120] if level else [225, 225, 225, 200]
        lines = [f"<b>{_e(row.name)}</b>"]
        for alert in alerts[alerts["area_code"] == row.code].itertuples():
            lines.append(f"[{_e(alert.level)}] {_e(alert.category)} {_e(alert.kind)}：{_e(alert.detail)}")
        features.append({"type": "Feature", "geometry": json.loads(row.boundary),
                         "properties": {"code": row.code, "fill": fill,
                                        "tooltip": "<br/>".join(lines)}})
    labels = [{"name": row.name, "lon": row.lon, "lat": row.lat}
              for row in areas.itertuples() if row.code in worst]
    layers = [
        pdk.Layer("GeoJsonLayer", id="alert_townships",
                  data={"type": "FeatureCollection", "features": features},
                  get_fill_color="properties.fill", get_line_color=[255, 255, 255, 255],
                  line_width_min_pixels=1, stroked=True, filled=True, pickable=True),
        _labels("alert_names", labels, 14, 700),
    ]
    return pdk.Deck(layers=layers, initial_view_state=view_for(areas, 700, 420),
                    map_provider=None, tooltip={"html": "{tooltip}", "style": {
                        "backgroundColor": "#ffffff", "color": "#222", "fontSize": "13px",
                        "maxWidth": "420px"}})
