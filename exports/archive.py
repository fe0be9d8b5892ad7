"""Issuing (签发) a circular or a monthly report: the final file, with 文号 and 成文日期, stored
in the database with the scheme and figures it was built from."""
from __future__ import annotations

import json
from datetime import date

from sqlalchemy import Engine

from data.issued import store_issued
from exports.monthly_report import load_report, report_docx, report_figures, report_title
from exports.official_doc import Issue
from exports.ranking_reports import circular_docx, circular_title
from queries.filters import Filters, parse_period, period_filters, previous_period
from queries.ranking import RankingScheme, read_scheme, township_ranking
from queries.reference import issuing_authority, region_names, scope_name
from queries.scope import Scope

FIGURE_COLUMNS = ("entity", "entity_name", "rank", "score", "case_count", "ontime_close_pct",
                  "satisfaction_pct", "to_beijing_count", "in_bottom", "bulletin", "supervise",
                  "reason")


def issue_circular(engine: Engine, period: str, today: date, doc_number: str, issued_on: date,
                   issued_by: str, scheme: RankingScheme | None = None, level: str = "township",
                   *, place: Filters | Scope) -> int:
    """Builds the circular of a period with its 文号 and 成文日期 and stores it; returns its id."""
    scheme = scheme or read_scheme(engine)
    _start, _end, label = parse_period(period)
    frame = township_ranking(engine, period_filters(period, today, place),
                             period_filters(previous_period(period), today, place), scheme, level)
    scope = place if isinstance(place, Scope) else place.scope
    jurisdiction = scope_name(engine, scope)
    content = circular_docx(frame, jurisdiction, label, scheme.describe(), region_names(engine),
                            level, issuing_authority(engine), Issue(doc_number, issued_on))
    figures = frame[list(FIGURE_COLUMNS)].astype(object).where(frame[list(FIGURE_COLUMNS)].notna(), None)
    title = circular_title(label)
    return store_issued(engine, kind="circular", period=period,
                        region_code=scope.county, title=title,
                        doc_number=doc_number, issued_on=issued_on, file_name=f"{title}.docx",
                        content=content, scheme_json=scheme.to_json(), issued_by=issued_by,
                        figures_json=json.dumps({"level": level, "rows": figures.to_dict("records")},
                                                ensure_ascii=False, default=str))


def issue_report(engine: Engine, month: str, today: date, doc_number: str, issued_on: date,
                 issued_by: str, *, place: Filters | Scope) -> int:
    """Builds the monthly report with its 文号 and 成文日期 and stores it; returns its id."""
    report = load_report(engine, month, today, place)
    content = report_docx(report, issuing_authority(engine), Issue(doc_number, issued_on))
    title = report_title(report)
    return store_issued(engine, kind="report", period=month,
                        region_code=report.filters.county or report.filters.scope.county, title=title, doc_number=doc_number,
                        issued_on=issued_on, file_name=f"{title}.docx", content=content,
                        scheme_json=read_scheme(engine).to_json(), issued_by=issued_by,
                        figures_json=json.dumps(report_figures(report), ensure_ascii=False, default=str))
