"""Charts and the situation map of the monthly report as PNG images, rendered on this machine.

vl-convert carries Vega-Lite and its renderer inside the package; with `allowed_base_urls=[]` it
refuses any data or image address, so a report never fetches anything. Text uses the machine's
Chinese fonts (the first of CHART_FONTS that is installed).
"""
from __future__ import annotations

import json

import altair as alt
import pandas as pd
import vl_convert

CHART_FONTS = ("Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, SimHei, "
               "WenQuanYi Micro Hei, sans-serif")
CONFIG = {"font": CHART_FONTS, "view": {"stroke": None},
          "axis": {"labelFontSize": 11, "titleFontSize": 12},
          "legend": {"labelFontSize": 11, "titleFontSize": 12}}
SCALE = 2.0  # pixels per Vega pixel: sharp when printed at the type area's width


def chart_png(chart: alt.TopLevelMixin) -> bytes:
    """The chart as PNG bytes; any request outside the chart's own inline data is refused."""
    return vl_convert.vegalite_to_png(chart.to_dict(), scale=SCALE, config=CONFIG,
                                      allowed_base_urls=[])


def monthly_cases_chart(trend: pd.DataFrame) -> alt.Chart:
    """New cases per month against the same month a year earlier (monthly_trend's columns)."""
    long = pd.concat([
        pd.DataFrame({"月份": trend["report_month"], "件数": trend["case_count"], "系列": "本年"}),
        pd.DataFrame({"月份": trend["report_month"], "件数": trend["year_earlier_case_count"],
                      "系列": "上年同月"}),
    ])
    return alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("月份:N", title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("件数:Q", title="新增信访（件）"),
        color=alt.Color("系列:N", scale=alt.Scale(domain=["本年", "上年同月"],
                                                  range=["#c0392b", "#8c8c8c"]),
                        legend=alt.Legend(orient="top", title=None)),
        strokeDash=alt.StrokeDash("系列:N", scale=alt.Scale(domain=["本年", "上年同月"],
                                                            range=[[1, 0], [5, 3]]), legend=None),
    ).properties(width=560, height=200)


def satisfaction_chart(trend: pd.DataFrame, target_pct: float) -> alt.LayerChart:
    """The monthly satisfaction rate (satisfaction_trend's columns) with the target as a line."""
    frame = pd.DataFrame({"月份": trend["report_month"], "满意率": trend["satisfaction_pct"]})
    line = alt.Chart(frame).mark_line(point=True, color="#2f6db5").encode(
        x=alt.X("月份:N", title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("满意率:Q", title="满意率（%）", scale=alt.Scale(zero=False)))
    rule = alt.Chart(pd.DataFrame({"目标": [target_pct]})).mark_rule(
        color="#c0392b", strokeDash=[6, 4]).encode(y="目标:Q")
    return alt.layer(line, rule).properties(width=560, height=180)


def situation_map(areas: pd.DataFrame, figures: pd.DataFrame, counties: pd.DataFrame,
                  board: pd.DataFrame, pin_colours: dict[str, tuple[str, str]]) -> alt.LayerChart:
    """Townships shaded by the month's new cases, county outlines, key cases as coloured dots
    (pin_colours: colour key -> (hex, Chinese name))."""
    counts = dict(zip(figures["township_code"], figures["case_count"]))
    features = []
    for row in areas.itertuples():
        if not row.boundary:
            continue
        features.append({"type": "Feature", "geometry": json.loads(row.boundary),
                         "properties": {"name": row.name, "cases": int(counts.get(row.code, 0))}})
    outlines = [{"type": "Feature", "geometry": json.loads(row.boundary), "properties": {}}
                for row in counties.itertuples() if row.boundary]
    townships = alt.Chart(alt.Data(values=features)).mark_geoshape(
        stroke="#ffffff", strokeWidth=0.4).encode(
        color=alt.Color("properties.cases:Q", title="本月新增（件）",
                        scale=alt.Scale(scheme="oranges"),
                        legend=alt.Legend(orient="bottom-left", direction="horizontal",
                                          gradientLength=160)))
    layers = [townships]
    if outlines:
        layers.append(alt.Chart(alt.Data(values=outlines)).mark_geoshape(
            filled=False, stroke="#444444", strokeWidth=1.0))
    pins = board.dropna(subset=["lon", "lat"])
    if len(pins):
        keys = [k for k in pin_colours if k in set(pins["colour"])]
        dots = pd.DataFrame({"lon": pins["lon"], "lat": pins["lat"],
                             "状态": [pin_colours[c][1] for c in pins["colour"]]})
        layers.append(alt.Chart(dots).mark_circle(size=28, opacity=0.9, stroke="#ffffff",
                                                  strokeWidth=0.5).encode(
            longitude="lon:Q", latitude="lat:Q",
            color=alt.Color("状态:N", title="重点案件",
                            scale=alt.Scale(domain=[pin_colours[k][1] for k in keys],
                                            range=[pin_colours[k][0] for k in keys]),
                            legend=alt.Legend(orient="bottom-right"))))
    return alt.layer(*layers).resolve_scale(color="independent").project(
        type="mercator").properties(width=560, height=420)
