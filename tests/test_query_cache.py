"""The pages' cache of query results in the server process (ui.database.Kept): exact keys, each
caller's own copy, the time limit, the size limit, one computation per key, and the scope."""
from __future__ import annotations

import threading
import time
from datetime import date

import pandas as pd
import pytest

from queries.filters import Filters
from queries.scope import Scope
from ui import database
from ui.database import Kept, cached_query, clear_cached_queries, exact_key


def test_keys_tell_apart_what_equality_does_not():
    assert exact_key("f", (1,)) != exact_key("f", (1.0,)) != exact_key("f", (True,))
    assert exact_key("f", (1,)) == exact_key("f", (1,))
    assert exact_key("f", ("a", ("b", None))) != exact_key("f", ("a", ["b", None]))
    # A table cannot be compared exactly: Streamlit's cache (which hashes its rows) is asked.
    assert exact_key("f", (pd.DataFrame({"a": [1]}),)) is None


def test_each_caller_gets_its_own_copy():
    kept = Kept(60, 8)
    made = []

    def compute():
        made.append(1)
        return pd.DataFrame({"n": [1, 2]})

    first = kept.get("k", compute)
    first.loc[0, "n"] = 99
    first["extra"] = 1
    again = kept.get("k", compute)
    assert made == [1] and list(again["n"]) == [1, 2] and "extra" not in again
    names = kept.get("names", lambda: {"1": "甲"})
    names["1"] = "乙"
    assert kept.get("names", lambda: {}) == {"1": "甲"}
    nested = kept.get("nested", lambda: [{"a": [1]}])
    nested[0]["a"].append(2)
    assert kept.get("nested", lambda: []) == [{"a": [1]}]


def test_results_expire_and_the_oldest_go_first(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(database.time, "monotonic", lambda: now[0])
    kept = Kept(300, 2)
    counter = iter(range(100))
    assert kept.get("a", lambda: next(counter)) == 0
    now[0] += 299
    assert kept.get("a", lambda: next(counter)) == 0
    now[0] += 2
    assert kept.get("a", lambda: next(counter)) == 1  # over 300 s: read afresh
    kept.get("b", lambda: next(counter))
    kept.get("a", lambda: next(counter))  # "a" asked for last: "b" is the oldest
    kept.get("c", lambda: next(counter))
    assert kept.get("a", lambda: "again") == 1
    assert kept.get("b", lambda: "again") == "again"


def test_one_computation_per_key_and_failures_are_not_kept():
    kept = Kept(60, 8)
    calls, started = [], threading.Event()

    def slow():
        calls.append(1)
        started.set()
        time.sleep(0.2)
        return "done"

    results = []
    threads = [threading.Thread(target=lambda: results.append(kept.get("k", slow)))
               for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [1] and results == ["done"] * 5

    def broken():
        raise RuntimeError("数据库不可用")

    with pytest.raises(RuntimeError):
        kept.get("x", broken)
    assert kept.get("x", lambda: "recovered") == "recovered"


def scope_of(engine, filters: Filters) -> str:
    """A query whose result depends on the filters' scope only."""
    return f"{filters.scope.region_code}:{len(scope_calls)}"


scope_calls: list[int] = []


def test_results_kept_apart_per_scope_and_forgotten_after_a_write(app_db):
    clear_cached_queries()
    period = dict(start=date(2025, 1, 1), end=date(2025, 3, 31), as_of=date(2025, 4, 1))
    county = Filters(**period, scope=Scope("330102", "county", county="330102"))
    other = Filters(**period, scope=Scope("330103", "county", county="330103"))
    first = cached_query(scope_of, county)
    scope_calls.append(1)
    assert cached_query(scope_of, county) == first == "330102:0"
    assert cached_query(scope_of, other) == "330103:1"
    scope_calls.append(1)
    clear_cached_queries()  # what a page does after writing to the database
    assert cached_query(scope_of, county) == "330102:2"


def test_a_chart_is_kept_by_its_rows_exactly(monkeypatch):
    """A chart's table as its key: equal rows (missing values too) give the chart already drawn;
    another value, another column type or another row draws anew."""
    from ui import charts

    drawn = []
    monkeypatch.setattr(charts, "_build_svg", lambda build, args, settings, width: drawn.append(1)
                        or f"<svg>{len(drawn)}</svg>")
    charts._kept_svg.clear()

    def build(frame):
        return frame

    frame = pd.DataFrame({"月份": ["2025-01", "2025-02"], "件数": [3.0, float("nan")]})
    assert charts.chart_svg(build, frame) == charts.chart_svg(build, frame.copy()) == "<svg>1</svg>"
    assert charts.chart_svg(build, frame.assign(件数=[3.0, 4.0])) == "<svg>2</svg>"
    assert charts.chart_svg(build, frame.assign(件数=[3, 0])) == "<svg>3</svg>"
    assert charts.chart_svg(build, frame.head(1)) == "<svg>4</svg>"
    assert charts.chart_svg(build, frame, width=charts.FULL_WIDTH) == "<svg>5</svg>"
    # Cells holding lists (a sparkline's points) are compared by their items.
    assert charts.chart_svg(build, frame.assign(走势=[[1], [2]])) == "<svg>6</svg>"
    assert charts.chart_svg(build, frame.assign(走势=[[1], [2]])) == "<svg>6</svg>"
    assert charts.chart_svg(build, frame.assign(走势=[[1], [3]])) == "<svg>7</svg>"
    assert len(drawn) == 7
