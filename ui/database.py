"""The app's one database engine, built once; on first start an empty default database gets the demo."""
from __future__ import annotations

import copy
import threading
import time
from collections import OrderedDict
from datetime import date

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from data.accounts import add_demo_accounts, announce_accounts, ensure_first_admin
from data.database import (
    DatabaseError, check_connection, database_url, is_default_url, make_engine, migrate,
)
from queries import defaults
from queries.execute import fetch_frame
from queries.reference import dataset_as_of, is_demo_data
from ui.markup import md_text


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    engine = make_engine(url)
    check_connection(engine)
    migrate(engine)
    if is_default_url(url) and not fetch_frame(engine, "SELECT 1 FROM regions LIMIT 1").shape[0]:
        from data.demo import first_start

        with st.spinner("首次启动：正在创建数据库、生成当月和上个月的演示数据并计算汇总表……"):
            first_start(engine)
            announce_accounts(ensure_first_admin(engine) + add_demo_accounts(engine))
        from data.demo import finish_in_background

        finish_in_background(url)
    announce_accounts(ensure_first_admin(engine))
    return engine


def engine_for_url(url: str) -> Engine:
    """The app's engine of a database URL (built once)."""
    return _engine_for(url)


def app_engine() -> Engine:
    """The engine for the configured database; stops the page with a Chinese message on failure."""
    try:
        return _engine_for(database_url())
    except DatabaseError as exc:
        st.error(md_text(f"数据库不可用：{exc}"))
        st.stop()


# Set to a list to switch caching off and record (query name, seconds) of every query a page
# runs: used by `cli.py bench`.
TIMINGS: list[tuple[str, float]] | None = None


def _facts_of(engine: Engine) -> tuple[bool, date, bool]:
    """Demo data or not, the as-of day, and whether the demo's earlier years are still coming."""
    from data.demo import pending_before

    return (is_demo_data(engine), dataset_as_of(engine, date.today()),
            pending_before(engine) is not None)


class Kept:
    """Results kept in this process under keys Python compares exactly (the arguments' types and
    values), for `ttl` seconds, at most `size` of them (the least recently asked for go first);
    one computation per key at a time, the others wait for it. Each caller gets its own copy of
    a table, list or dict, as Streamlit's cache gives.

    In place of Streamlit's st.cache_data for arguments that compare exactly (a page's filters,
    a name, a number): that cache hashes every argument anew and unpickles the result at every
    call, 0.5-1 ms each, twenty calls in a run of a page; a look-up here costs microseconds. Like
    st.cache_data it is shared by every session: the scope travels in the filters, which are part
    of every key."""

    def __init__(self, ttl: float | None, size: int):
        self.ttl, self.size = ttl, size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict = {}

    def get(self, key, compute):
        while True:
            with self._lock:
                found = self._items.get(key)
                if found is not None and (self.ttl is None or found[0] > time.monotonic()):
                    self._items.move_to_end(key)
                    return _own_copy(found[1])
                running = self._computing.get(key)
                if running is None:
                    running = self._computing[key] = threading.Event()
                    break
            running.wait()  # somebody else is computing it: theirs, once ready
        try:
            value = compute()
            with self._lock:
                expires = time.monotonic() + self.ttl if self.ttl is not None else None
                self._items[key] = (expires, value)
                self._items.move_to_end(key)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
            return _own_copy(value)
        finally:
            with self._lock:
                self._computing.pop(key).set()

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_IMMUTABLE = (str, bytes, int, float, bool, date, type(None))


def _own_copy(value):
    """What a caller may change without changing the kept result."""
    if isinstance(value, _IMMUTABLE):
        return value
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return value.copy()
    if isinstance(value, dict) and all(isinstance(v, _IMMUTABLE) for v in value.values()):
        return dict(value)
    if isinstance(value, tuple) and all(isinstance(v, _IMMUTABLE) for v in value):
        return value
    return copy.deepcopy(value)


def exact_key(*parts):
    """A key for Kept that tells 1, 1.0 and True apart (Python's == does not), or None when a
    part cannot be compared exactly (a table): then Streamlit's cache, which hashes the data, is
    asked."""
    def typed(value):
        if isinstance(value, (tuple, list)):
            return (type(value), tuple(typed(v) for v in value))
        return (type(value), value)

    key = typed(parts)
    try:
        hash(key)
    except TypeError:
        return None
    return key


_facts = Kept(defaults.CACHE_TTL_SECONDS, 16)
_kept_queries = Kept(defaults.CACHE_TTL_SECONDS, 512)
_kept_drawings = Kept(defaults.CACHE_TTL_SECONDS, 128)


def _current_facts() -> tuple[bool, date, bool]:
    if TIMINGS is not None:
        return _timed(_facts_of)
    url = database_url()

    def read():
        return _facts_of(_engine_for(url))

    facts = _facts.get(url, read)
    if facts[2]:  # read afresh until the demo's earlier years have arrived
        _facts.clear()
        facts = _facts.get(url, read)
    return facts


def data_as_of() -> date:
    """The day the figures are taken."""
    return _current_facts()[1]


def demo_pending() -> bool:
    """Whether the demo's earlier months are still being written (a first start's first minutes)."""
    return _current_facts()[2]


def show_demo_banner() -> None:
    if _current_facts()[0]:
        st.warning("**演示数据**：当前显示的是系统生成的演示辖区和案件，并非真实信访数据；"
                   "乡镇（街道）区域为示意范围。导入本单位数据后此提示自动消失。"
                   + ("\n\n更早月份的演示数据正在后台逐月生成（一两分钟），此前的数字只含已写入的月份；完成后刷新页面即可看到近一年的全部数字和同比数字。"
                      if _current_facts()[2] else ""))


@st.cache_data(ttl=defaults.CACHE_TTL_SECONDS, max_entries=512, show_spinner=False)
def _cached(_fn, name: str, url: str, complete: bool, args: tuple, kwargs: tuple):
    return _fn(_engine_for(url), *args, **dict(kwargs))


def _timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(_engine_for(database_url()), *args, **kwargs)
    TIMINGS.append((f"{fn.__module__}.{fn.__qualname__}", time.perf_counter() - started))
    return result


def cached_query(fn, *args, **kwargs):
    """fn(engine, *args, **kwargs), cached per database and arguments for a few minutes."""
    if TIMINGS is not None:
        return _timed(fn, *args, **kwargs)
    # While the demo's earlier years are being written, results are kept apart from the complete
    # database's.
    name, url, complete = _cache_parts(fn)
    settings = tuple(sorted(kwargs.items()))
    key = exact_key(name, url, complete, args, settings)
    if key is None:
        return _cached(fn, name, url, complete, args, settings)
    return _kept_queries.get(key, lambda: fn(_engine_for(url), *args, **kwargs))


def _cache_parts(fn) -> tuple[str, str, bool]:
    """What every cached result is kept under besides its arguments: the function's name, the
    database, and whether the demo's earlier years have all been written."""
    return f"{fn.__module__}.{fn.__qualname__}", database_url(), not _current_facts()[2]


@st.cache_data(ttl=defaults.CACHE_TTL_SECONDS, max_entries=128, show_spinner=False)
def _cached_drawing(_fn, name: str, url: str, complete: bool, args: tuple):
    return _fn(*args)


def cached_drawing(fn, *args):
    """fn(*args): something drawn from cached queries (a map's SVG), cached like them, per database
    and arguments (the view's filters carry the account's scope). The bench times the queries it
    makes one by one, not the drawing as a query of its own."""
    if TIMINGS is not None:
        return fn(*args)
    name, url, complete = _cache_parts(fn)
    key = exact_key(name, url, complete, args)
    if key is None:
        return _cached_drawing(fn, name, url, complete, args)
    return _kept_drawings.get(key, lambda: fn(*args))


# Keyed by the data itself (hashing a city's 8,000 key cases: 0.04 s), with no time limit: asked
# only when the view's own entry above has expired or was cleared, it spares drawing the map again
# (0.25 s) when the queries read afresh return what they returned before.
@st.cache_data(max_entries=32, show_spinner=False)
def _drawn_from(_fn, name: str, args: tuple):
    return _fn(*args)


# Streamlit's cache tells tables apart by all their rows only below this size (above, by a sample
# of them): a result kept for as long as its data is the same is not kept for a larger one.
FULLY_HASHED_ROWS = 50_000


def fully_hashed(values) -> bool:
    """Whether no table among `values` (or inside a tuple, list or dict of them) is so long that
    the cache would tell it apart from another by a sample of its rows only."""
    for value in values:
        if isinstance(value, (pd.DataFrame, pd.Series)) and len(value) >= FULLY_HASHED_ROWS:
            return False
        if isinstance(value, (tuple, list)) and not fully_hashed(value):
            return False
        if isinstance(value, dict) and not fully_hashed(value.values()):
            return False
    return True


def cached_drawing_of_data(fn, *args):
    """fn(*args), kept as long as the same data comes: for a drawing made from the results of
    queries (which are read afresh every few minutes), inside a cached_drawing (the situation map)
    or straight in a page (the alerts map)."""
    if TIMINGS is not None or not fully_hashed(args):
        return fn(*args)
    return _drawn_from(fn, f"{fn.__module__}.{fn.__qualname__}", args)


def clear_cached_queries() -> None:
    """Forget every cached result, after the page wrote to the database."""
    _kept_queries.clear()
    _kept_drawings.clear()
    _cached.clear()
    _cached_drawing.clear()
    _facts.clear()
