"""Monthly trend charts that do not mislead: the current, unfinished month and months resting on
few cases drawn hollow and labelled (本月至今 / 样本少), the denominator in every rate tooltip,
a rate scale on which 94% and 97% look different, the target line, month labels horizontal."""
from __future__ import annotations

import math
from datetime import date

import altair as alt
import pandas as pd

from queries import defaults
from queries.filters import month_end, parse_month

PARTIAL, THIN = "本月至今", "样本少"
# A month label with its year ("2026年1月") on two lines, so that twelve months side by side fit a
# half-page chart.
MONTH_LABEL = ("indexof(datum.label, '年') > 0 ? [split(datum.label, '年')[0] + '年', "
               "split(datum.label, '年')[1]] : datum.label")


def month_axis_label(report_month: str, first: bool) -> str:
    """'2026年1月' for January and the first month shown, '2月' otherwise."""
    day = parse_month(report_month)
    return f"{day.year}年{day.month}月" if first or day.month == 1 else f"{day.month}月"


def month_notes(months: pd.Series, as_of: date) -> pd.Series:
    """本月至今 for a month not over on as_of, else ''."""
    return pd.Series([PARTIAL if month_end(parse_month(m)) > as_of else "" for m in months],
                     index=months.index, dtype=object)


def with_month_labels(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The frame with month_text (horizontal axis labels) and their order."""
    months = sorted(frame["report_month"].unique())
    labels = {m: month_axis_label(m, i == 0) for i, m in enumerate(months)}
    return frame.assign(month_text=frame["report_month"].map(labels)), [labels[m] for m in months]


def rate_points(frame: pd.DataFrame, series: dict[str, str], as_of: date,
                least: int = defaults.TREND_MIN_DENOMINATOR) -> pd.DataFrame:
    """Long form of the rates `series` ({key: label}) of a monthly frame with <key>_num/_den:
    report_month, series, pct, num, den, note (本月至今 / 样本少 / ''), solid."""
    partial = month_notes(frame["report_month"], as_of)
    rows = []
    for key, label in series.items():
        for month, num, den, value, note in zip(frame["report_month"], frame[f"{key}_num"],
                                                frame[f"{key}_den"], frame[f"{key}_pct"], partial):
            if value is None or pd.isna(value):
                continue
            notes = [n for n in (note, THIN if den < least else "") if n]
            rows.append({"report_month": month, "series": label, "pct": float(value),
                         "num": int(num), "den": int(den), "note": "、".join(notes),
                         "solid": not notes})
    return pd.DataFrame(rows, columns=["report_month", "series", "pct", "num", "den", "note", "solid"])


def rate_domain(points: pd.DataFrame, target: float | None) -> list[float]:
    """From a little below the lowest solid value (and the target) to 100: a scale on which a
    few points near the target show. Hollow points beyond it sit on its edge."""
    solid = points.loc[points["solid"], "pct"]
    values = list(solid) + ([target] if target is not None else [])
    if not values:
        values = list(points["pct"]) or [0.0]
    low = max(0.0, math.floor((min(values) - 3) / 5) * 5)
    return [low, 100.0]


def rate_chart(points: pd.DataFrame, target: float | None, colours: dict[str, str],
               height: int = 320, band: pd.DataFrame | None = None) -> alt.LayerChart:
    """Lines through the solid points, every point drawn (hollow and labelled when unfinished or
    thin), the target line with its value; band (report_month and two bounds): a shaded interval."""
    points, order = with_month_labels(points)
    points = points.assign(
        ratio=[f"{n:,} / {d:,}" for n, d in zip(points["num"], points["den"])],
        note_text=points["note"].replace("", "—"))
    domain = rate_domain(points, target)
    x = alt.X("month_text:O", title=None, sort=order,
              axis=alt.Axis(labelAngle=0, labelFontSize=12, labelExpr=MONTH_LABEL))
    y = alt.Y("pct:Q", title="百分比（%）", scale=alt.Scale(domain=domain, clamp=True, nice=False))
    colour = alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom", labelFontSize=13),
                       scale=alt.Scale(domain=list(colours), range=list(colours.values())))
    tooltip = [alt.Tooltip("report_month:N", title="月份"), alt.Tooltip("series:N", title="指标"),
               alt.Tooltip("pct:Q", title="数值（%）", format=".1f"),
               alt.Tooltip("ratio:N", title="分子 / 分母（件）"),
               alt.Tooltip("note_text:N", title="说明")]
    base = alt.Chart(points)
    lines = base.transform_filter("datum.solid").mark_line().encode(x=x, y=y, color=colour)
    dots = base.mark_point(size=70, strokeWidth=2).encode(
        x=x, y=y, color=colour, tooltip=tooltip,
        fill=alt.condition("datum.solid", alt.Color("series:N", legend=None,
                                                      scale=alt.Scale(domain=list(colours),
                                                                      range=list(colours.values()))),
                           alt.value("white")),
        opacity=alt.condition("datum.solid", alt.value(1.0), alt.value(0.85)))
    notes = (points[points["note"] != ""].drop_duplicates("report_month")
             .assign(top=domain[1]))
    layers = [lines, dots]
    if band is not None and not band.empty:
        low, high = [c for c in band.columns if c != "report_month"][:2]
        labels = dict(zip(points["report_month"], points["month_text"]))
        first = points[points["series"] == points["series"].iloc[0]]
        solid = set(first.loc[first["solid"], "report_month"])  # no band over a thin month
        shaded = band[band["report_month"].isin(solid)]
        shaded = shaded.assign(month_text=shaded["report_month"].map(labels))
        layers.insert(0, alt.Chart(shaded).mark_area(opacity=0.16, color="#2f6db5").encode(
            x=x, y=alt.Y(f"{low}:Q", scale=alt.Scale(domain=domain, clamp=True)), y2=f"{high}:Q"))
    if not notes.empty:
        layers.append(alt.Chart(notes).mark_text(dy=-8, fontSize=12, color="#8a5a00", baseline="bottom")
                      .encode(x=x, y=alt.Y("top:Q", scale=alt.Scale(domain=domain, clamp=True)),
                              text="note:N"))
    if target is not None:
        rule = pd.DataFrame({"target": [target], "text": [f"目标 {target:.1f}%"]})
        layers.append(alt.Chart(rule).mark_rule(color="#c0392b", strokeDash=[6, 4]).encode(
            y=alt.Y("target:Q", scale=alt.Scale(domain=domain, clamp=True))))
        layers.append(alt.Chart(rule).mark_text(align="left", dx=4, dy=-7, color="#c0392b",
                                                fontSize=12).encode(
            x=alt.value(0), y=alt.Y("target:Q", scale=alt.Scale(domain=domain, clamp=True)),
            text="text:N"))
    return alt.layer(*layers).properties(height=height + 20, padding={"top": 18})


def count_notes(frame: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """A monthly frame of counts with month_text and note (本月至今) for its chart."""
    frame = frame.assign(note=month_notes(frame["report_month"], as_of))
    return with_month_labels(frame)[0]


def volume_chart(volume: pd.DataFrame) -> alt.LayerChart:
    """Cases a month (count_notes of report_month, case_count, year_earlier_case_count): bars, the
    unfinished month lighter and labelled, the year before as a dashed line."""
    x = _month_x(volume)
    tips = [alt.Tooltip("report_month:N", title="月份"),
            alt.Tooltip("case_count:Q", title="本期件数", format=","),
            alt.Tooltip("year_earlier_case_count:Q", title="上年同期件数", format=","),
            alt.Tooltip("note:N", title="说明")]
    bars = alt.Chart(volume).mark_bar().encode(
        x=x, y=alt.Y("case_count:Q", title="信访件数"), tooltip=tips,
        color=alt.condition("datum.note == ''", alt.value("#2f6db5"), alt.value("#a9c1e3")))
    line = alt.Chart(volume).mark_line(color="#e08a2c", point=True, strokeDash=[5, 3]).encode(
        x=x, y="year_earlier_case_count:Q", tooltip=tips)
    partial = alt.Chart(volume[volume["note"] != ""]).mark_text(
        dy=-6, baseline="bottom", color="#8a5a00", fontSize=12).encode(
        x=x, y="case_count:Q", text="note:N")
    return (bars + line + partial).properties(height=320)


def _month_x(year: pd.DataFrame) -> alt.X:
    return alt.X("month_text:O", title=None, sort=list(dict.fromkeys(year["month_text"])),
                 axis=alt.Axis(labelAngle=0, labelExpr=MONTH_LABEL))


def flows_chart(year: pd.DataFrame) -> alt.LayerChart:
    """New and closed cases a month (count_notes of a monthly frame), side by side."""
    month_x = _month_x(year)
    flows = year.melt(["report_month", "month_text", "note"], ["new_count", "closed_count"],
                      "series", "count")
    flows["series"] = flows["series"].map({"new_count": "新增", "closed_count": "办结"})
    bars = alt.Chart(flows).mark_bar().encode(
        x=month_x, xOffset="series:N",
        opacity=alt.condition("datum.note == ''", alt.value(1.0), alt.value(0.45)),
        y=alt.Y("count:Q", title="件数"),
        color=alt.Color("series:N", title=None, scale=alt.Scale(domain=["新增", "办结"],
                                                                range=["#d9822b", "#2f6db5"]),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("report_month:N", title="月份"), alt.Tooltip("series:N", title="项目"),
                 alt.Tooltip("count:Q", title="件数", format=","),
                 alt.Tooltip("note:N", title="说明")])
    partial = alt.Chart(year[year["note"] != ""]).mark_text(
        dy=-6, baseline="bottom", color="#8a5a00").encode(x=month_x, y=alt.Y("new_count:Q"),
                                                          text="note:N")
    return (bars + partial).properties(height=300)


def backlog_chart(year: pd.DataFrame, target: float | None) -> alt.LayerChart:
    """Open cases at each month's end (count_notes of a monthly frame), the target as a red line."""
    layers = [alt.Chart(year).mark_line(point=True, color="#6b2e8f").encode(
        x=_month_x(year), y=alt.Y("backlog_end_count:Q", title="月末存量（件）"),
        tooltip=[alt.Tooltip("report_month:N", title="月份"),
                 alt.Tooltip("backlog_end_count:Q", title="月末存量", format=","),
                 alt.Tooltip("note:N", title="说明")])]
    if target:
        layers.append(alt.Chart(pd.DataFrame({"target": [target]})).mark_rule(
            color="#c0392b", strokeDash=[6, 4]).encode(y="target:Q"))
    return alt.layer(*layers).properties(height=300)


def interval_chart(worst: pd.DataFrame, label: str, target: float) -> alt.LayerChart:
    """The lowest satisfaction rates (name, satisfaction_pct and its low and high bounds, the
    lowest first) with their 95% intervals, and the target as a red line."""
    dots = alt.Chart(worst).encode(y=alt.Y("name:N", sort=None, title=None))
    return (dots.mark_rule(color="#7fa7d9", strokeWidth=3).encode(
                x=alt.X("satisfaction_low_pct:Q", title="满意率及 95% 区间（%）",
                        scale=alt.Scale(zero=False)), x2="satisfaction_high_pct:Q")
            + dots.mark_point(filled=True, size=70, color="#2f6db5").encode(
                x="satisfaction_pct:Q",
                tooltip=[alt.Tooltip("name:N", title=label),
                         alt.Tooltip("satisfaction_pct:Q", title="满意率", format=".1f"),
                         alt.Tooltip("satisfaction_den:Q", title="评价件数")])
            + alt.Chart(pd.DataFrame({"target": [target]})).mark_rule(
                color="#c0392b", strokeDash=[6, 4]).encode(x="target:Q")).properties(
        height=max(200, 24 * len(worst)),
        title=f"满意率最低的{label}（后 {len(worst)} 名，最低的在上）")
