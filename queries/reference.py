"""Places, units, categories and dataset facts the filters and labels need."""
from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Engine

from queries import defaults
from queries.execute import fetch_frame
from queries.scope import Scope


def region_list(engine: Engine, level: str, scope: Scope, parent_code: str | None = None
                ) -> pd.DataFrame:
    """code, name, parent_code, lon, lat, population of the regions of one level inside the
    scope, by code."""
    sql = "SELECT code, name, parent_code, lon, lat, population FROM regions WHERE level = :level"
    params: dict = {"level": level}
    if parent_code:
        sql += " AND parent_code = :parent"
        params["parent"] = parent_code
    limits = {"county": ("code", None), "township": ("parent_code", "code"),
              "village": (None, "parent_code")}.get(level, (None, None))
    if level == "city" and not scope.is_everything:
        sql += " AND 1 = 0"
    if scope.county and limits[0]:
        sql += f" AND {limits[0]} = :s_county"
        params["s_county"] = scope.county
    if scope.township and limits[1]:
        sql += f" AND {limits[1]} = :s_township"
        params["s_township"] = scope.township
    return fetch_frame(engine, sql + " ORDER BY code", params)


def region_names(engine: Engine) -> dict[str, str]:
    """code -> name for the city, counties and townships."""
    frame = fetch_frame(engine, "SELECT code, name FROM regions WHERE level <> 'village'")
    return dict(zip(frame["code"], frame["name"]))


def jurisdiction_name(engine: Engine) -> str:
    """The name of the top region (the city, or the county when there is no city)."""
    frame = fetch_frame(engine, """
SELECT name FROM regions WHERE level IN ('city', 'county') AND
  (parent_code IS NULL OR parent_code NOT IN (SELECT code FROM regions))
ORDER BY CASE level WHEN 'city' THEN 0 ELSE 1 END, code""")
    return str(frame["name"].iloc[0]) if len(frame) else ""


def scope_name(engine: Engine, scope: Scope) -> str:
    """The name of a scope's region: the whole jurisdiction, a county, or a county and township."""
    if scope.is_everything:
        return jurisdiction_name(engine)
    names = region_names(engine)
    if scope.township:
        return f"{names.get(scope.county or '', '')}{names.get(scope.township, scope.township)}"
    return names.get(scope.county or "", scope.region_code)
def default_authority(jurisdiction: str) -> str:
    """The issuing authority (发文机关) when the office has not set one."""
    return f"{jurisdiction}信访工作联席会议办公室"


def issuing_authority(engine: Engine) -> str:
    """The 发文机关 of circulars and reports: the office's setting, else the default."""
    frame = fetch_frame(engine, "SELECT value FROM settings WHERE key = :key",
                        {"key": defaults.AUTHORITY_KEY})
    value = str(frame["value"].iloc[0]).strip() if len(frame) else ""
    return value or default_authority(jurisdiction_name(engine))


def category_list(engine: Engine) -> list[str]:
    """The top-level categories present in the cases, most frequent first (the category rollup's
    running totals at its last month: a few hundred rows, not the case table)."""
    frame = fetch_frame(engine, """
SELECT member AS category, SUM(case_count) AS case_count FROM rollup_monthly
WHERE cube = 'C' AND step_month = (SELECT MAX(step_month) FROM rollup_monthly WHERE cube = 'C')
GROUP BY member HAVING SUM(case_count) > 0 ORDER BY case_count DESC, category""")
    return list(frame["category"])


def case_date_range(engine: Engine) -> tuple[date | None, date | None]:
    """The first and last registration dates in the database."""
    # Two subqueries: each is one step down the registration-date index.
    frame = fetch_frame(engine, "SELECT (SELECT MIN(received_on) FROM cases) AS first_on, "
                                "(SELECT MAX(received_on) FROM cases) AS last_on",
                        date_columns=("first_on", "last_on"))
    first, last = frame["first_on"].iloc[0], frame["last_on"].iloc[0]
    return (None if pd.isna(first) else first, None if pd.isna(last) else last)


def dataset_as_of(engine: Engine, today: date) -> date:
    """The day figures are taken: the demo's fixed end date when it has one, else today."""
    frame = fetch_frame(engine, "SELECT value FROM settings WHERE key = :key",
                        {"key": defaults.AS_OF_KEY})
    if len(frame):
        return date.fromisoformat(str(frame["value"].iloc[0]))
    return today


def is_demo_data(engine: Engine) -> bool:
    """True while the database holds the generated demo jurisdiction."""
    frame = fetch_frame(engine, "SELECT value FROM settings WHERE key = :key",
                        {"key": defaults.DEMO_BANNER_KEY})
    return len(frame) > 0 and frame["value"].iloc[0] == "demo"


def read_number_setting(engine: Engine, key: str) -> float | None:
    """A number the office saved in settings, or None."""
    frame = fetch_frame(engine, "SELECT value FROM settings WHERE key = :key", {"key": key})
    if not len(frame):
        return None
    try:
        return float(frame["value"].iloc[0])
    except ValueError:
        return None
