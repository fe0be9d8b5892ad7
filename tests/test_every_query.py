"""Every public query function runs on the fixture database, on SQLite and PostgreSQL."""
import importlib
import inspect
import pkgutil

import pandas as pd
import pytest

import queries

from queries.scope import EVERYTHING
from tests.fixture_cases import AS_OF
from tests.scoping import all_months

FILTERS = all_months("2025-01", "2025-03", AS_OF)
SKIP_MODULES = {"queries.execute"}


def query_functions():
    found = []
    for info in pkgutil.iter_modules(queries.__path__):
        module = importlib.import_module(f"queries.{info.name}")
        if module.__name__ in SKIP_MODULES:
            continue
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            params = list(inspect.signature(fn).parameters)
            if fn.__module__ == module.__name__ and not name.startswith("_") and params[:1] == ["engine"]:
                found.append(fn)
    return found


MAY_RETURN_NONE = {"read_number_setting", "issued_file"}  # nothing issued in the fixture
ARGUMENTS = {"case_nos": ("A1", "B2"), "filters": FILTERS, "previous": FILTERS, "level": "township",
             "today": AS_OF, "key": "as_of", "by": "township", "at": AS_OF, "start": FILTERS.start,
             "end": FILTERS.end, "where": "1 = 1", "params": {}, "groupings": ("township",), "day": AS_OF,
             "group": ("township_code",), "spans": {"n": (FILTERS.start, FILTERS.end)},
             "days": [AS_OF, FILTERS.start], "scope": EVERYTHING,
             "region_code": "100100", "document_id": 1, "case_no": "A1", "as_of": AS_OF}


@pytest.mark.parametrize("fn", query_functions(), ids=lambda fn: f"{fn.__module__}.{fn.__name__}")
def test_query_runs(fixture_engine, fn):
    params = inspect.signature(fn).parameters
    kwargs = {name: ARGUMENTS[name] for name in list(params)[1:]
              if params[name].default is inspect.Parameter.empty}
    result = fn(fixture_engine, **kwargs)
    assert result is not None or fn.__name__ in MAY_RETURN_NONE
    if isinstance(result, pd.DataFrame):
        assert list(result.columns), f"{fn.__name__} returned no columns"


def test_there_are_queries():
    assert len(query_functions()) >= 8
