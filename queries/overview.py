"""The overview page's figures: the headline for a period and its year-earlier twin, the monthly trend."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from queries.figures import case_figures
from queries.filters import Filters


def headline_figures(engine: Engine, filters: Filters) -> pd.DataFrame:
    """Two rows, period 'current' and 'year_earlier', with every column of case_figures."""
    current = case_figures(engine, filters)
    earlier = case_figures(engine, filters.year_earlier())
    frame = pd.concat([current, earlier], ignore_index=True)
    frame.insert(0, "period", ["current", "year_earlier"])
    return frame


def monthly_trend(engine: Engine, filters: Filters) -> pd.DataFrame:
    """report_month, case_count, person_count, ..., rates per month, plus year_earlier_case_count."""
    current = case_figures(engine, filters, by="month")
    earlier = case_figures(engine, filters.year_earlier(), by="month")[["report_month", "case_count"]]
    earlier["report_month"] = [f"{int(m[:4]) + 1}{m[4:]}" for m in earlier["report_month"]]
    earlier = earlier.rename(columns={"case_count": "year_earlier_case_count"})
    return current.merge(earlier, on="report_month", how="left").fillna(
        {"year_earlier_case_count": 0})


def area_breakdown(engine: Engine, filters: Filters) -> pd.DataFrame:
    """Per county, or per township when a county is chosen: every column of case_figures."""
    by = "township" if filters.county else "county"
    return case_figures(engine, filters, by=by).rename(columns={f"{by}_code": "area_code"})
