"""What the map page and the projector view (大屏) share: the colour counts and the map."""
from __future__ import annotations

import html
from dataclasses import dataclass, replace

import pandas as pd
import streamlit as st

from data.database import config_value
from queries.filters import Filters
from queries.situation_map import (
    case_density, county_outlines, key_case_board, township_areas, township_map_figures,
)
from queries.reference import region_names
from ui.database import cached_drawing, cached_drawing_of_data, cached_query
from ui.map_deck import (
    METRICS, PIN_COLOURS, bounds_of, county_features, density_bands, pin_records, situation_deck,
    township_features, view_for,
)
from ui.map_svg import Projection, situation_svg


def map_data(view_filters: Filters, with_density: bool):
    """(areas, counties, figures, board, density) for the view. The areas are coloured over the
    whole county or jurisdiction even when the sidebar names one township (context), the key
    cases follow the sidebar exactly."""
    areas = cached_query(township_areas, view_filters.scope)
    counties = cached_query(county_outlines, view_filters.scope)
    if view_filters.county:
        areas = areas[areas["county_code"] == view_filters.county]
        counties = counties[counties["code"] == view_filters.county]
    around = replace(view_filters, township=None)
    figures = cached_query(township_map_figures, around)
    board = cached_query(key_case_board, view_filters)
    density = cached_query(case_density, view_filters) if with_density else pd.DataFrame()
    return areas, counties, figures, board, density


def colour_counts(board: pd.DataFrame, big: bool = False) -> None:
    """One box per supervision colour with its count of key cases (its meaning on hover, and in
    the colour key under the map), side by side in one HTML element."""
    counts = board["colour"].value_counts()
    label_size = "1.5rem" if big else "1.05rem"
    boxes = "".join(
        f"<div class='colour-count' title='{meaning}' style='border-left:12px solid rgb{rgb};"
        f"padding:2px 12px;background:#f7f7f7;display:flex;align-items:baseline;gap:14px'>"
        f"<span style='font-size:{label_size}'>{label}</span>"
        f"<span class='cc-value'>{int(counts.get(key, 0)):,} 件</span></div>"
        for key, (rgb, label, meaning) in PIN_COLOURS.items())
    st.html(f"<div style='display:grid;gap:1rem;grid-template-columns:repeat({len(PIN_COLOURS)},"
            f"minmax(0,1fr))'>{boxes}</div>")


def colour_key() -> str:
    """The meaning of each pin colour, one line."""
    return "　".join(f"{label}：{meaning}" for _rgb, label, meaning in PIN_COLOURS.values())


@dataclass
class MapParts:
    """What both drawings of the situation map are made of (the deck's and the SVG's)."""
    township_geo: list[dict]
    county_geo: list[dict]
    labels: list[dict]
    county_labels: list[dict] | None
    pins: list[dict]
    bands: list[tuple[tuple, str]]


def map_parts(areas, counties, figures, board, metric: str | None, names: dict,
              hide_cleared: bool, big: bool = False) -> MapParts:
    """metric None: the areas are not coloured (the case density is the one encoding then)."""
    township_geo, bands = township_features(areas, figures, metric,
                                           {c: names.get(c, "") for c in areas["county_code"]})
    # Township names where they can be read: a county's townships, or a small jurisdiction.
    labels = ([{"name": r.name, "lon": r.lon, "lat": r.lat} for r in areas.itertuples()]
              if len(areas) <= 40 else [])
    shown = board[board["colour"] != "green"] if hide_cleared else board
    county_labels = ([{"name": r.name, "lon": r.lon, "lat": r.lat} for r in counties.itertuples()]
                     if len(counties) > 1 else None)
    return MapParts(township_geo, county_features(counties), labels, county_labels,
                    pin_records(shown, names, big), bands)


def build_deck(areas, counties, figures, board, density, metric: str | None, names: dict,
               hide_cleared: bool, width_px: int, height_px: int, big: bool = False):
    """The zoomable (WebGL) map and the legend's bands (colour, range) of the metric."""
    parts = map_parts(areas, counties, figures, board, metric, names, hide_cleared, big)
    deck = situation_deck(parts.township_geo, parts.county_geo, parts.labels, density, parts.pins,
                          view_for(areas, width_px, height_px), not density.empty,
                          config_value("basemap_style_url"), parts.county_labels,
                          label_size=20 if big else 15)
    return deck, parts.bands


def build_svg(areas, counties, figures, board, density, metric: str | None, names: dict,
              hide_cleared: bool, width_px: int, height_px: int, big: bool = False):
    """The SVG map (drawn on any browser, no graphics card needed) and the legend's bands."""
    parts = map_parts(areas, counties, figures, board, metric, names, hide_cleared, big)
    projection = Projection.fit(bounds_of(areas), width_px, height_px)
    svg = situation_svg(parts.township_geo, parts.county_geo, parts.labels, density, parts.pins,
                        projection, parts.county_labels, label_size=20 if big else 15)
    return svg, parts.bands


def _view_svg(view_filters: Filters, metric: str | None, with_density: bool, hide_cleared: bool,
              width_px: int, height_px: int, big: bool):
    areas, counties, figures, board, density = map_data(view_filters, with_density)
    return cached_drawing_of_data(build_svg, areas, counties, figures, board, density, metric,
                                  cached_query(region_names), hide_cleared, width_px, height_px, big)


def view_svg(view_filters: Filters, metric: str | None, with_density: bool, hide_cleared: bool,
             width_px: int, height_px: int, big: bool = False):
    """build_svg of the view's map_data, kept like the queries it is drawn from: a map of
    thousands of key cases is drawn once, not at every run of the page."""
    return cached_drawing(_view_svg, view_filters, metric, with_density, hide_cleared, width_px,
                          height_px, big)


def _swatch(colour: tuple, big: bool) -> str:
    rgb = f"rgba({colour[0]},{colour[1]},{colour[2]},{colour[3] / 255:.2f})" if len(colour) == 4 \
        else f"rgb{tuple(colour)}"
    size = "width:36px;height:20px" if big else "width:28px;height:14px"
    return f"<span style='display:inline-block;{size};background:{rgb};border:1px solid #999'></span>"


def bands_html(bands: list[tuple[tuple, str]], big: bool = False) -> str:
    """One swatch and its range per band, in a line that wraps between bands, never inside one."""
    gap = "18px" if big else "14px"
    return "".join(
        f"<span class='legend-band' style='display:inline-flex;align-items:center;gap:6px;"
        f"margin-right:{gap};white-space:nowrap'>{_swatch(colour, big)}{html.escape(label)}</span>"
        for colour, label in bands)


def legend_html(metric: str | None, bands: list[tuple[tuple, str]], schematic: bool,
                big: bool = False, density: pd.DataFrame | None = None,
                title: str | None = None) -> str:
    """The legend under a map: each band's colour and range (the metric's, or the case density's
    when the areas are not coloured) and the note on schematic boundaries."""
    size = "1.3rem" if big else "0.95rem"
    note = ("<span style='white-space:nowrap'><b>乡镇（街道）区域为示意范围，非法定界线</b></span>"
            if schematic else "")
    if metric is None:
        dots = density_bands(density) if density is not None else []
        what = ("案件密度：每个约 2 公里的网格一个圆点，颜色越深该网格信访件越多（每格件数）"
                if dots else "区域不着色")
        return (f"<div class='map-legend' style='font-size:{size};line-height:1.9'>{what}　"
                f"{bands_html(dots, big)}{note}</div>")
    label, unit, _higher_better = METRICS[metric]
    title = title or f"区域颜色：各乡镇（街道）{label}（{unit}）"
    shown = bands_html(bands, big) or "（尚未导入乡镇（街道）边界，地图上不画区域）"
    return (f"<div class='map-legend' style='font-size:{size};line-height:1.9'>"
            f"{html.escape(title)}　{shown}{note}</div>")
