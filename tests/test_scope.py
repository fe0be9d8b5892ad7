"""Jurisdiction scoping, deny by default: every query function, run with a township's scope, returns
nothing from outside that township, on SQLite and PostgreSQL."""
from __future__ import annotations

import inspect
from dataclasses import replace

import pandas as pd
import pytest

from queries.filters import Filters, period_filters
from queries.scope import EVERYTHING, Scope, ScopeError, scope_of_region
from tests.fixture_cases import AS_OF
from tests.test_every_query import ARGUMENTS, query_functions

YIZHEN = Scope("100100001", "township", county="100100", township="100100001")
JIA = Scope("100100", "county", county="100100")
YIZHEN_CASES = {"A1", "A2", "A6", "C1", "D1", "E1"}
JIA_CASES = YIZHEN_CASES | {"A3", "A4", "A5", "C2", "C3"}

# Low-level building blocks whose callers pass a clause built from a Filters, and reference lists
# that hold no case, count or map feature (names of places and categories, the data's dates,
# settings); the audit log is read by administrators only.
NOT_CASE_DATA = {"queries.steps", "queries.audit"}
REFERENCE = {"region_names", "jurisdiction_name", "category_list", "case_date_range", "dataset_as_of",
             "is_demo_data", "read_number_setting", "read_scheme", "scope_name", "scope_of_region"}


def test_a_filters_without_scope_is_refused():
    with pytest.raises(ScopeError):
        Filters.for_months("2025-01", "2025-03", AS_OF)
    with pytest.raises(ScopeError):
        Filters(start=AS_OF, end=AS_OF, as_of=AS_OF)


def test_the_scope_is_forced_and_cannot_be_widened():
    f = Filters.for_months("2025-01", "2025-03", AS_OF, scope=YIZHEN)
    assert (f.county, f.township) == ("100100", "100100001")
    assert (replace(f, category="民政").township, period_filters("2025-Q1", AS_OF, f).township) == (
        "100100001", "100100001")
    for county, township in (("100200", None), (None, "100200001"), ("100100", "100100002")):
        with pytest.raises(ScopeError):
            Filters.for_months("2025-01", "2025-03", AS_OF, county, township, scope=YIZHEN)
    with pytest.raises(ScopeError):
        replace(f, township="100100002")
    with pytest.raises(ScopeError):
        Filters.for_months("2025-01", "2025-03", AS_OF, "100200", scope=JIA)
    narrowed = Filters.for_months("2025-01", "2025-03", AS_OF, "100100", "100100002", scope=JIA)
    assert narrowed.township == "100100002"


def test_scope_of_region(fixture_engine):
    assert scope_of_region(fixture_engine, "100000").is_everything
    assert scope_of_region(fixture_engine, "100100") == JIA
    assert scope_of_region(fixture_engine, "100100001") == YIZHEN
    with pytest.raises(ScopeError):
        scope_of_region(fixture_engine, "999999")


def _scoped_arguments(fn, scope: Scope, place: bool) -> dict:
    """The test arguments with the scope (or, place=True, the whole database narrowed by place)."""
    params = inspect.signature(fn).parameters
    args = {}
    for name in list(params)[1:]:
        if params[name].default is not inspect.Parameter.empty:
            continue
        value = ARGUMENTS[name]
        if isinstance(value, Filters):
            value = (replace(value, county=scope.county, township=scope.township, scope=EVERYTHING)
                     if place else replace(value, scope=scope))
        elif name == "scope":
            value = scope
        elif name == "case_nos":
            value = ("A1", "B2", "A3", "C1")
        args[name] = value
    return args


def _case_numbers(value) -> set[str]:
    found = set()
    if isinstance(value, pd.DataFrame):
        for column in value.columns:
            if column == "case_no":
                found |= {str(v) for v in value[column] if v is not None}
            elif column == "case_nos":
                found |= {str(n) for nos in value[column] for n in (nos or ())}
    return found


def _assert_inside(fn, result, scope: Scope, cases: set[str]) -> None:
    assert _case_numbers(result) <= cases, f"{fn.__name__}: cases outside {scope.region_code}"
    if not isinstance(result, pd.DataFrame):
        return
    for column in ("township_code", "area_code"):
        if column in result.columns:
            outside = {v for v in result[column] if v and str(v) != scope.township
                       and str(v) != scope.county}
            if scope.township:
                assert not outside, f"{fn.__name__}.{column}: {outside}"
    if "county_code" in result.columns:
        outside = {v for v in result["county_code"] if v and str(v) != scope.county}
        assert not outside, f"{fn.__name__}.county_code: {outside}"


SCOPED = [fn for fn in query_functions()
          if fn.__module__ not in NOT_CASE_DATA and fn.__name__ not in REFERENCE]


@pytest.mark.parametrize("scope,cases", [(YIZHEN, YIZHEN_CASES), (JIA, JIA_CASES)],
                         ids=["township", "county"])
@pytest.mark.parametrize("fn", SCOPED, ids=lambda fn: f"{fn.__module__}.{fn.__name__}")
def test_every_query_stays_inside_the_scope(fixture_engine, fn, scope, cases):
    result = fn(fixture_engine, **_scoped_arguments(fn, scope, place=False))
    _assert_inside(fn, result, scope, cases)
    if any(isinstance(v, Filters) for v in _scoped_arguments(fn, scope, False).values()):
        # The scope gives exactly what the place filter gives over the whole database.
        expected = fn(fixture_engine, **_scoped_arguments(fn, scope, place=True))
        if isinstance(result, pd.DataFrame):
            pd.testing.assert_frame_equal(result.reset_index(drop=True),
                                          expected.reset_index(drop=True))
        else:
            assert result == expected


def test_scope_lists(fixture_engine):
    from queries.alerts import alert_cases
    from queries.reference import region_list
    from queries.situation_map import county_outlines, township_areas

    assert list(township_areas(fixture_engine, YIZHEN)["code"]) == ["100100001"]
    assert list(township_areas(fixture_engine, JIA)["code"]) == ["100100001", "100100002"]
    assert len(township_areas(fixture_engine, EVERYTHING)) == 3
    assert county_outlines(fixture_engine, YIZHEN).empty
    assert list(county_outlines(fixture_engine, JIA)["code"]) == ["100100"]
    assert list(region_list(fixture_engine, "county", YIZHEN)["code"]) == ["100100"]
    assert list(region_list(fixture_engine, "township", JIA)["code"]) == ["100100001", "100100002"]
    assert region_list(fixture_engine, "city", JIA).empty
    assert list(alert_cases(fixture_engine, YIZHEN, ("A1", "B1", "A3"))["case_no"]) == ["A1"]


def test_there_are_scoped_queries():
    assert len(SCOPED) >= 20
