"""Timing every page on a large database: the queries of its typical view (one year, the whole
jurisdiction, caching off) and the whole page script through AppTest; and two baselines on the same
data, a plain GROUP BY over the case table and loading the case table into pandas.

The pages run in a child process so that its peak memory is the app's own (the pandas baseline
would otherwise dominate it)."""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
PAGES = {
    "overview": "pages/overview.py",
    "map": "pages/situation_map.py",
    "dispatch": "pages/dispatch.py",
    "satisfaction": "pages/satisfaction.py",
    "ranking": "pages/ranking.py",
    "alerts": "pages/alerts.py",
    "import": "pages/data_import.py",
}


def time_pages(url: str, repeats: int = 3) -> dict:
    """Runs in the child: every page once to warm up (imports, first connection), then `repeats`
    times; the best run of each. Returns {"pages": {...}, "peak_rss_mb": m}."""
    os.environ["DATABASE_URL"] = url
    from streamlit.testing.v1 import AppTest

    from ui import database

    pages = {}
    for name, path in PAGES.items():
        best = None
        for attempt in range(repeats + 1):
            database.TIMINGS = []
            app = AppTest.from_file(str(PROJECT_DIR / path), default_timeout=600)
            started = time.perf_counter()
            app.run()
            script = time.perf_counter() - started
            if app.exception:
                raise RuntimeError(f"{name}: {app.exception[0].message}")
            queries = sum(seconds for _name, seconds in database.TIMINGS)
            if attempt and (best is None or script < best["script_s"]):
                slowest = sorted(database.TIMINGS, key=lambda t: -t[1])[:5]
                best = {"queries_s": round(queries, 4), "script_s": round(script, 4),
                        "query_count": len(database.TIMINGS),
                        "slowest_queries": [[n, round(t, 4)] for n, t in slowest],
                        "slowest_query": max(database.TIMINGS, key=lambda t: t[1])[0]
                        if database.TIMINGS else None}
        pages[name] = best
    database.TIMINGS = None
    return {"pages": pages, "peak_rss_mb": round(_peak_rss_mb(), 1)}


def _peak_rss_mb() -> float:
    """This process's peak resident memory. Linux's VmHWM, which starts afresh at exec (getrusage's
    maxrss keeps the parent's peak across fork and exec, which would count the data generator)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def baselines(engine, streamed: bool = False) -> dict:
    """A plain GROUP BY over the whole case table, and the whole table into pandas (one
    pd.read_sql; streamed: in chunks, for tables too large for that)."""
    import pandas as pd
    from sqlalchemy import text

    from queries.dialect import month_of

    month = month_of(engine.dialect.name, "received_on")
    started = time.perf_counter()
    with engine.connect() as conn:
        conn.execute(text(f"SELECT township_code, {month} AS m, COUNT(*), SUM(person_count) "
                          f"FROM cases GROUP BY township_code, {month}")).fetchall()
    groupby = time.perf_counter() - started
    before = _peak_rss_mb()
    started = time.perf_counter()
    with engine.connect() as conn:
        if streamed:
            # The driver's rows of ten million cases at once do not fit in memory (24 GB); the
            # frame does: read in chunks and joined.
            chunks = pd.read_sql(text("SELECT * FROM cases"),
                                 conn.execution_options(stream_results=True), chunksize=250_000)
            frame = pd.concat(list(chunks), ignore_index=True)
        else:
            frame = pd.read_sql(text("SELECT * FROM cases"), conn)
    pandas_s = time.perf_counter() - started
    memory = frame.memory_usage(deep=True).sum() / 2**20
    return {"baseline_groupby_s": round(groupby, 4), "baseline_pandas_s": round(pandas_s, 3),
            "baseline_pandas_mb": round(memory, 1), "baseline_pandas_rows": len(frame),
            "bench_process_rss_before_pandas_mb": round(before, 1)}


def time_searches(engine, repeats: int = 3) -> dict:
    """综合查询 over the default view (the last twelve months, everywhere): by a whole case number,
    a part of one, a whole phone number, a two-character word and a four-character phrase; each
    the true count plus the first rows drawn, best of `repeats`. {name: {"text", "count", "s"}}."""
    from sqlalchemy import text

    from queries.filters import default_filters
    from queries.scope import EVERYTHING
    from queries.search import CaseQuery, search_cases, search_count

    with engine.connect() as conn:
        as_of = conn.execute(text("SELECT MAX(received_on) FROM cases")).scalar()
        as_of = as_of if hasattr(as_of, "year") else __import__("datetime").date.fromisoformat(as_of)
        middle = conn.execute(text("SELECT MAX(id) / 2 FROM cases")).scalar()
        case_no, phone, summary = conn.execute(text(
            "SELECT case_no, petitioner_phone, summary FROM cases WHERE id >= :m ORDER BY id LIMIT 1"),
            {"m": middle}).one()
    issue = summary.split("反映", 1)[-1]
    filters = default_filters(as_of, EVERYTHING)
    texts = {"number": case_no, "number_part": case_no[-8:], "phone": phone, "word_2": issue[:2],
             "phrase_4": issue[:4]}
    timings = {}
    for name, value in texts.items():
        query = CaseQuery(text=value)
        best = None
        for _ in range(repeats):
            started = time.perf_counter()
            count = search_count(engine, filters, query)
            search_cases(engine, filters, query)
            elapsed = time.perf_counter() - started
            best = elapsed if best is None else min(best, elapsed)
        timings[name] = {"text": value if name != "phone" else "（完整电话号码）", "count": count,
                         "s": round(best, 4)}
    return timings


def run(url: str, cases: int, backend: str) -> dict:
    """The whole measurement: the pages in a child process, then the baselines here."""
    child = subprocess.run(
        [sys.executable, "-c", f"import json, ui.bench as b; print(json.dumps(b.time_pages({url!r})))"],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=3600)
    if child.returncode:
        raise RuntimeError(child.stderr.strip().splitlines()[-1] if child.stderr.strip()
                           else "page timing failed")
    pages = json.loads(child.stdout.strip().splitlines()[-1])
    from data.database import make_engine

    engine = make_engine(url)
    result = {"cases": cases, "backend": backend, **pages, "searches": time_searches(engine),
              **baselines(engine, streamed=cases > 2_000_000)}
    total = max(p["queries_s"] for p in result["pages"].values())
    result["slowest_page_queries_s"] = total
    result["groupby_over_slowest_page"] = round(result["baseline_groupby_s"] / total, 1) if total else None
    result["pandas_over_slowest_page"] = round(result["baseline_pandas_s"] / total, 1) if total else None
    return result


def table(result: dict) -> str:
    """The result as a table for the terminal."""
    lines = [f"{result['cases']:,} 件，{result['backend']}",
             f"{'页面':<14}{'查询合计 s':>12}{'页面脚本 s':>12}{'查询数':>8}  最慢的查询"]
    for name, page in result["pages"].items():
        lines.append(f"{name:<14}{page['queries_s']:>12.3f}{page['script_s']:>12.3f}"
                     f"{page['query_count']:>8}  {page['slowest_query'] or ''}")
    for name, search in result.get("searches", {}).items():
        lines.append(f"综合查询 {name:<12}{search['s']:>8.3f} s  {search['count']:>9,} 件  {search['text']}")
    lines += [f"基准：全表 GROUP BY {result['baseline_groupby_s']:.3f} s；"
              f"全表读入 pandas {result['baseline_pandas_s']:.2f} s（{result['baseline_pandas_mb']:.0f} MB）",
              f"最慢页面的查询：GROUP BY 的 1/{result['groupby_over_slowest_page']}，"
              f"pandas 的 1/{result['pandas_over_slowest_page']}；应用峰值内存 {result['peak_rss_mb']:.0f} MB"]
    return "\n".join(lines)
