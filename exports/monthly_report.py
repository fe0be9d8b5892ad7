"""The monthly analysis report (月度分析报告) as a 公文: the month's figures written as sentences,
charts and the situation map as images, units, satisfaction, ranking, warnings and key cases.
Every number comes from the same queries the dashboard's pages use, for the same month and scope."""
from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
from sqlalchemy import Engine

from exports import charts
from exports.official_doc import Issue, OfficialDocument
from exports.ranking_reports import CIRCULAR_HEADERS, CIRCULAR_WIDTHS_MM, circular_rows
from queries import defaults
from queries.alerts import all_alerts
from queries.dispatch import dispatch_summary, month_filters, unit_progress
from queries.filters import Filters, add_months, month_label, parse_month, previous_period
from queries.overview import headline_figures, monthly_trend
from queries.ranking import read_scheme, township_ranking
from queries.reference import issuing_authority, region_names, scope_name
from queries.scope import Scope
from queries.satisfaction import satisfaction_trend
from queries.situation_map import county_outlines, key_case_board, township_areas, township_map_figures
from ui.labels import SUPERVISION_COLOURS

TREND_MONTHS = 12
TOP_UNITS = 5
SHOWN_ALERTS = 10
SHOWN_OPEN_KEY_CASES = 10
SHOWN_CLEARED = 5
PIN_COLOURS = {key: ("#%02X%02X%02X" % rgb, name) for key, (rgb, name, _m) in SUPERVISION_COLOURS.items()}


@dataclass
class MonthlyReport:
    """The query results one month's report is written from."""

    month: str
    filters: Filters
    place_name: str
    summary: pd.Series
    headline: pd.DataFrame
    trend: pd.DataFrame
    satisfaction: pd.DataFrame
    target_pct: float
    units: pd.DataFrame
    ranking: pd.DataFrame
    alerts: pd.DataFrame
    board: pd.DataFrame
    areas: pd.DataFrame
    map_figures: pd.DataFrame
    counties: pd.DataFrame
    names: dict


def report_place(county: str | None, as_of, scope: Scope) -> Filters:
    """The report's place as filters: the account's whole jurisdiction, or one county in it."""
    return Filters(start=as_of, end=as_of, as_of=as_of, county=county or None, scope=scope)


def load_report(engine: Engine, month: str, today, place: Filters | Scope) -> MonthlyReport:
    """Runs every query the report needs for a month ('YYYY-MM'), within the scope of `place`."""
    filters = month_filters(month, today, place)
    names = region_names(engine)
    first = add_months(parse_month(month), -(TREND_MONTHS - 1)).strftime("%Y-%m")
    trailing = replace(Filters.for_months(first, month, filters.as_of, scope=filters.scope),
                       county=filters.county,
                       township=filters.township, category=filters.category)
    ranking = township_ranking(engine, filters, month_filters(previous_period(month), today, place),
                               read_scheme(engine))
    areas = township_areas(engine, filters.scope)
    counties = county_outlines(engine, filters.scope)
    if filters.county:
        areas = areas[areas["county_code"] == filters.county]
        counties = counties[counties["code"] == filters.county]
        if filters.county not in names:
            raise ValueError(f"没有区划代码为 {filters.county} 的县（市、区）")
    day = filters.end
    alerts = all_alerts(engine, replace(filters, start=day, end=day, as_of=day))
    return MonthlyReport(
        month=month, filters=filters,
        place_name=names.get(filters.county or "", "") or scope_name(engine, filters.scope),
        summary=dispatch_summary(engine, filters).iloc[0],
        headline=headline_figures(engine, filters).set_index("period"),
        trend=monthly_trend(engine, trailing), satisfaction=satisfaction_trend(engine, trailing),
        target_pct=defaults.SATISFACTION_TARGET_PCT, units=unit_progress(engine, filters),
        ranking=ranking, alerts=alerts, board=key_case_board(engine, filters), areas=areas,
        map_figures=township_map_figures(engine, filters), counties=counties, names=names)


def change_text(now: float, before: float, word: str) -> str:
    """'环比上升12.5%', '同比下降3.0%', '同比持平'; against nothing: '上期无新增'."""
    now, before = int(now), int(before)
    if before == 0:
        return f"{word}持平" if now == 0 else f"{word}无可比（{'上月' if word == '环比' else '去年同月'}为0件）"
    change = 100.0 * (now - before) / before
    if now == before:
        return f"{word}持平"
    return f"{word}{'上升' if change > 0 else '下降'}{abs(change):.1f}%"


def pct_text(value) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:.1f}%"


def points_text(now, before) -> str:
    if now is None or before is None or pd.isna(now) or pd.isna(before):
        return "去年同月无可比数据"
    gap = now - before
    if abs(gap) < 0.05:
        return "与去年同月持平"
    return f"比去年同月{'提高' if gap > 0 else '降低'}{abs(gap):.1f}个百分点"


def cleared_mask(report: MonthlyReport) -> pd.Series:
    cleared = pd.to_datetime(report.board["cleared_on"])
    f = report.filters
    return (cleared >= pd.Timestamp(f.start)) & (cleared <= pd.Timestamp(f.end))


def report_title(report: MonthlyReport) -> str:
    return f"关于{report.place_name}{month_label(report.filters.start)}信访工作情况的分析报告"


def report_figures(report: MonthlyReport) -> dict:
    """Every number the report states, by name (stored with an issued report)."""
    s, now, before = report.summary, report.headline.loc["current"], report.headline.loc["year_earlier"]
    cleared = cleared_mask(report)
    open_board = report.board[~cleared.values & (report.board["colour"] != "green")]
    bottom = report.ranking[report.ranking["in_bottom"]]
    named = report.ranking[report.ranking["bulletin"]]

    def number(key: str, value):
        if value is None or pd.isna(value):
            return None
        return round(float(value), 1) if key.endswith("_pct") else int(value)

    return {
        "month": report.month, "county": report.filters.county, "as_of": report.filters.as_of.isoformat(),
        **{k: int(s[k]) for k in ("new_count", "new_person_count", "new_prev_month_count",
                                  "new_last_year_count", "closed_count", "resolved_count",
                                  "backlog_start_count", "backlog_end_count", "overdue_end_count")},
        **{k: number(k, now[k]) for k in ("collective_count", "collective_person_count", "to_city_count",
                                       "to_province_count", "to_beijing_count", "timely_accept_pct",
                                       "ontime_close_pct", "satisfaction_pct", "satisfaction_den")},
        **{f"year_earlier_{k}": number(k, before[k]) for k in ("timely_accept_pct", "ontime_close_pct",
                                                            "satisfaction_pct")},
        "target_pct": report.target_pct,
        "units_with_overdue": int((report.units["overdue_open_count"] > 0).sum()),
        "top_overdue_units": [[r.unit_name, int(r.overdue_open_count)]
                              for r in report.units.head(TOP_UNITS).itertuples() if r.overdue_open_count > 0],
        "ranked_count": int(report.ranking["ranked"].sum()),
        "bottom": list(bottom.sort_values("rank", ascending=False)["entity_name"]),
        "bulletin": list(named["entity_name"]), "supervise": list(named[named["supervise"]]["entity_name"]),
        "alert_count": len(report.alerts), "alert_levels": {k: int(v) for k, v in report.alerts["level"].value_counts().items()},
        "key_cleared": list(report.board[cleared.values]["case_no"]),
        "key_open_count": len(open_board),
        "key_open_colours": {k: int(v) for k, v in open_board["colour"].value_counts().items()},
    }


def report_docx(report: MonthlyReport, authority: str, issue: Issue = Issue()) -> bytes:
    """The report as a 公文 (see exports.official_doc)."""
    f = report_figures(report)
    names = report.names
    label = month_label(report.filters.start)
    doc = OfficialDocument()
    doc.masthead(authority, issue.doc_number)
    doc.title(report_title(report) + ("（草稿）" if issue.is_draft else ""))
    cut = (f"（截至{report.filters.end.month}月{report.filters.end.day}日）"
           if report.filters.end < pd.Timestamp(report.filters.start).to_period("M").end_time.date() else "")
    doc.body(f"现将{label}{cut}{report.place_name}信访工作情况分析如下。")

    doc.heading1("一、总体情况")
    delta = f["backlog_end_count"] - f["backlog_start_count"]
    doc.body(
        f"本月新增信访{f['new_count']}件、{f['new_person_count']}人次，"
        f"{change_text(f['new_count'], f['new_prev_month_count'], '环比')}（上月{f['new_prev_month_count']}件），"
        f"{change_text(f['new_count'], f['new_last_year_count'], '同比')}（去年同月{f['new_last_year_count']}件）。"
        f"本月办结{f['closed_count']}件，化解{f['resolved_count']}件；月末存量{f['backlog_end_count']}件，"
        f"较月初{'减少' if delta < 0 else '增加' if delta > 0 else '持平'}"
        f"{'' if delta == 0 else f'{abs(delta)}件'}；月末逾期未结{f['overdue_end_count']}件。")
    doc.body(
        f"集体访{f['collective_count']}批{f['collective_person_count']}人次；越级访到市{f['to_city_count']}件、"
        f"到省{f['to_province_count']}件、进京{f['to_beijing_count']}件。及时受理率{pct_text(f['timely_accept_pct'])}，"
        f"{points_text(f['timely_accept_pct'], f['year_earlier_timely_accept_pct'])}；按期办结率"
        f"{pct_text(f['ontime_close_pct'])}，{points_text(f['ontime_close_pct'], f['year_earlier_ontime_close_pct'])}。")
    doc.picture(charts.chart_png(charts.monthly_cases_chart(report.trend)),
                caption=f"图1　近{TREND_MONTHS}个月新增信访件数（与上年同月比较）")

    doc.heading1("二、群众满意度")
    sat = f["satisfaction_pct"]
    if sat is None:
        doc.body("本月登记的信访件尚无满意度评价。")
    else:
        gap = sat - f["target_pct"]
        doc.body(f"本月登记的信访件已评价{f['satisfaction_den']}件，满意率{pct_text(sat)}，"
                 f"{'高于' if gap >= 0 else '低于'}目标（{f['target_pct']:.1f}%）{abs(gap):.1f}个百分点，"
                 f"{points_text(sat, f['year_earlier_satisfaction_pct'])}。")
    doc.picture(charts.chart_png(charts.satisfaction_chart(report.satisfaction, report.target_pct)),
                caption="图2　各月满意率（红色虚线为目标）")

    doc.heading1("三、责任单位办理情况")
    if f["top_overdue_units"]:
        listed = "、".join(f"{n}（{c}件）" for n, c in f["top_overdue_units"])
        doc.body(f"月末有逾期未结件的责任单位{f['units_with_overdue']}个，逾期未结较多的是：{listed}。")
    else:
        doc.body("月末没有逾期未结的信访件。")

    doc.heading1("四、乡镇排名与通报候选")
    named = report.ranking[report.ranking["bulletin"]]
    doc.body(f"按本单位评分办法，本月参与排名的乡镇（街道）{f['ranked_count']}个。"
             + (f"排名末位区间的是{'、'.join(f['bottom'])}。" if f["bottom"] else "本月没有处于末位区间的乡镇（街道）。")
             + (f"列为通报候选{len(f['bulletin'])}个" + (f"，其中建议挂牌督办{len(f['supervise'])}个（{'、'.join(f['supervise'])}）"
                                                         if f["supervise"] else "") + "，按排名从后往前列示如下："
                if len(named) else ""))
    if len(named):
        doc.table(CIRCULAR_HEADERS, circular_rows(named, names, "township"), CIRCULAR_WIDTHS_MM)

    doc.heading1("五、预警情况")
    levels = f["alert_levels"]
    if f["alert_count"]:
        doc.body(f"截至{report.filters.end.month}月{report.filters.end.day}日，在预警{f['alert_count']}条，"
                 f"其中告警{levels.get('告警', 0)}条、异常{levels.get('异常', 0)}条。"
                 + ("最严重的几条：" if f["alert_count"] > 1 else ""))
        rows = [[a.level, a.kind, names.get(a.area_code, a.area_code or ""), a.category, a.detail]
                for a in report.alerts.head(SHOWN_ALERTS).itertuples()]
        doc.table(["级别", "类型", "地点", "问题", "说明"], rows, [14, 20, 28, 22, 72])
    else:
        doc.body(f"截至{report.filters.end.month}月{report.filters.end.day}日没有预警。")

    doc.heading1("六、重点案件")
    cleared = report.board[cleared_mask(report).values]
    colours = f["key_open_colours"]
    colour_text = "、".join(("按计划推进" if k == "grey" else f"{PIN_COLOURS[k][1]}色") + f"{colours[k]}件"
                            for k in PIN_COLOURS if colours.get(k))
    doc.body(f"本月销号{len(cleared)}件"
             + (f"（{'、'.join(f'{c}（{names.get(t, t)}）' for c, t in zip(cleared['case_no'][:SHOWN_CLEARED], cleared['township_code']))}"
                + (f"等，详见调度会材料）" if len(cleared) > SHOWN_CLEARED else "）") if len(cleared) else "")
             + f"；仍在化解{f['key_open_count']}件" + (f"，其中{colour_text}" if colour_text else "") + "。")
    still = report.board[~cleared_mask(report).values & (report.board["colour"] != "green")]
    if len(still):
        rows = [[PIN_COLOURS[r.colour][1], r.case_no, names.get(r.township_code, r.township_code),
                 r.leader or "—", f"{r.resolve_by:%Y-%m-%d}", f"{r.progress_pct}%"]
                for r in still.head(SHOWN_OPEN_KEY_CASES).itertuples()]
        doc.table(["状态", "信访件编号", "属地", "包案领导", "化解时限", "进度"], rows, [12, 42, 30, 34, 24, 14])
    if len(report.areas):
        doc.picture(charts.chart_png(charts.situation_map(report.areas, report.map_figures, report.counties,
                                                          report.board, PIN_COLOURS)),
                    width_mm=140, caption="图3　本月信访态势图（乡镇区域按本月新增着色，圆点为重点案件）")
    doc.signature(authority, issue.issued_on)
    return doc.to_bytes()


def monthly_report(engine: Engine, month: str, today, place: Filters | Scope,
                   issue: Issue = Issue()) -> bytes:
    """The report for a month straight from the database (for the CLI and scheduled runs)."""
    return report_docx(load_report(engine, month, today, place), issuing_authority(engine), issue)
