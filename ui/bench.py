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
    "search": "pages/search.py",
    "bigscreen": "pages/bigscreen.py",
}


BENCH_USER = "bench_runner"


def bench_account(engine) -> tuple[str, str]:
    """An administrator over the whole database for the bench's sign-ins, with a fresh password."""
    from data.accounts import add_account, get_account, new_password, reset_password
    from sqlalchemy import text

    password = new_password() + "a1"
    if get_account(engine, BENCH_USER) is None:
        with engine.connect() as conn:
            top = conn.execute(text(
                "SELECT code FROM regions WHERE level IN ('city', 'county') "
                "ORDER BY CASE level WHEN 'city' THEN 0 ELSE 1 END, code")).scalar()
        add_account(engine, BENCH_USER, "admin", top, password=password, must_change=False,
                    by="计时")
    else:
        reset_password(engine, BENCH_USER, password, by="计时")
    return BENCH_USER, password


def time_pages(url: str, repeats: int = 3) -> dict:
    """Runs in the child: every page once to warm up (imports, first connection), then `repeats`
    times; the best run of each, signed in as the bench's account. Returns {"pages": {...},
    "peak_rss_mb": m}."""
    os.environ["DATABASE_URL"] = url
    from ui.apptest import app_test

    from data.accounts import get_account
    from data.database import make_engine
    from ui import database
    from ui.auth import ACCOUNT_KEY, SEEN_KEY

    account = get_account(make_engine(url), BENCH_USER)

    pages = {}
    for name, path in PAGES.items():
        best = None
        for attempt in range(repeats + 1):
            database.TIMINGS = []
            app = app_test(str(PROJECT_DIR / path), 600)
            app.session_state[ACCOUNT_KEY] = account
            app.session_state[SEEN_KEY] = time.time()
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
        filters = default_filters(as_of, EVERYTHING)
        # A case inside the view (so each search finds something), in the middle of its months.
        case_no, phone, summary = conn.execute(text(
            "SELECT case_no, petitioner_phone, summary FROM cases WHERE received_on >= :day "
            "ORDER BY received_on, id LIMIT 1"),
            {"day": filters.start + (filters.end - filters.start) / 2}).one()
    issue = summary.split("反映", 1)[-1]
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


def run(url: str, cases: int, backend: str, sessions: int = 20, walk_seconds: int = 120,
        think_seconds: float = 10.0, import_rows: int = 100_000, repeats: int = 5,
        parts: tuple[str, ...] = ("pages", "browser", "concurrent", "import", "first_start")
        ) -> dict:
    """The whole measurement: the pages' scripts in a child process and the baselines here; the
    browser alone and with `sessions` at once against a served app; a year's import; the first
    start of a fresh copy."""
    from data.database import make_engine
    from ui import bench_browser

    engine = make_engine(url)
    username, password = bench_account(engine)
    result = {"cases": cases, "backend": backend}
    if "pages" in parts:
        result.update(_script_timings(url, cases, engine))
    elif "search" in parts:
        result["searches"] = time_searches(engine)
    if "browser" in parts or "concurrent" in parts:
        server = bench_browser.Server(url).wait()
        try:
            if "browser" in parts:
                result.update(bench_browser.measure_browser(server.base, username, password,
                                                            repeats))
            if "concurrent" in parts:
                result["concurrent"] = bench_browser.measure_concurrent(
                    server, username, password, sessions, walk_seconds, think_seconds)
                _judge_concurrent(result)
        finally:
            server.stop()
    if "import" in parts:
        try:
            result["import"] = measure_import(url, import_rows)
        except Exception as exc:  # noqa: BLE001 - the other parts' figures are kept
            result["import"] = {"error": str(exc)[:300]}
    if "first_start" in parts:
        try:
            result.update(bench_browser.measure_first_start())
        except Exception as exc:  # noqa: BLE001
            result["first_start_error"] = str(exc)[:300]
    engine.dispose()
    return result


def _judge_concurrent(result: dict) -> None:
    """Each page's p95 with everybody at once over its median alone."""
    alone = result.get("browser") or {}
    for path, page in result["concurrent"]["pages"].items():
        single = alone.get(path, {}).get("median_s")
        if single and page["p95_s"]:
            page["p95_over_single"] = round(page["p95_s"] / single, 2)
        if single and page.get("repeat_p95_s"):
            page["repeat_p95_over_single"] = round(page["repeat_p95_s"] / single, 2)


def _script_timings(url: str, cases: int, engine) -> dict:
    child = subprocess.run(
        [sys.executable, "-c", f"import json, ui.bench as b; print(json.dumps(b.time_pages({url!r})))"],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=3600)
    if child.returncode:
        raise RuntimeError(child.stderr.strip().splitlines()[-1] if child.stderr.strip()
                           else "page timing failed")
    pages = json.loads(child.stdout.strip().splitlines()[-1])
    result = {**pages, "searches": time_searches(engine),
              **baselines(engine, streamed=cases > 2_000_000)}
    total = max(p["queries_s"] for p in result["pages"].values())
    result["slowest_page_queries_s"] = total
    result["groupby_over_slowest_page"] = round(result["baseline_groupby_s"] / total, 1) if total else None
    result["pandas_over_slowest_page"] = round(result["baseline_pandas_s"] / total, 1) if total else None
    return result


def table(result: dict) -> str:
    """The result as a table for the terminal."""
    lines = [f"{result['cases']:,} 件，{result['backend']}"]
    if "pages" in result:
        lines.append(f"{'页面':<14}{'查询合计 s':>12}{'页面脚本 s':>12}{'查询数':>8}  最慢的查询")
        for name, page in result["pages"].items():
            lines.append(f"{name:<14}{page['queries_s']:>12.3f}{page['script_s']:>12.3f}"
                         f"{page['query_count']:>8}  {page['slowest_query'] or ''}")
        lines += [f"基准：全表 GROUP BY {result['baseline_groupby_s']:.3f} s；"
                  f"全表读入 pandas {result['baseline_pandas_s']:.2f} s（{result['baseline_pandas_mb']:.0f} MB）",
                  f"最慢页面的查询：GROUP BY 的 1/{result['groupby_over_slowest_page']}，"
                  f"pandas 的 1/{result['pandas_over_slowest_page']}；应用峰值内存 {result['peak_rss_mb']:.0f} MB"]
        for name, search in result.get("searches", {}).items():
            lines.append(f"综合查询 {name:<12}{search['s']:>8.3f} s  {search['count']:>9,} 件  {search['text']}")
    if "browser" in result:
        lines.append(f"浏览器（切换页面到稳定，中位数）：基准页面 {result['browser_floor_s']} s")
        for name, page in result["browser"].items():
            lines.append(f"  {name:<14}{page['median_s']} s  基准的 {page['over_floor']} 倍"
                         + (f"  {page['error']}" if page.get("error") else ""))
    if "concurrent" in result:
        both = result["concurrent"]
        lines.append(f"{both['sessions']} 个会话同时浏览 {both['seconds']} s（每页平均看 "
                     f"{both['think_s']} s）：错误 {both['errors']} 个，"
                     f"服务峰值内存 {both['server_peak_rss_mb']:.0f} MB；平均占用 CPU：服务 "
                     f"{both['cpu_cores']['server']} 核、浏览器 {both['cpu_cores']['browsers']} 核"
                     f"（本机 {both['cpu_cores']['machine']} 核），服务每次访问 "
                     f"{both['server_cpu_s_per_visit']} CPU 秒")
        for name, page in both["pages"].items():
            lines.append(f"  {name:<14}p50 {page['p50_s']} s  p95 {page['p95_s']} s  "
                         f"单独的 {page.get('p95_over_single')} 倍  （{page['visits']} 次；"
                         f"各会话第一次 {page['first_visits']} 次 p95 {page['first_p95_s']} s，"
                         f"再次 {page['repeat_visits']} 次 p95 {page['repeat_p95_s']} s）")
    if "import" in result:
        done = result["import"]
        lines.append(f"导入 {done['rows']:,} 行：{done['import_s']} s（openpyxl 只读 "
                     f"{done['import_floor_s']} s 的 {done['over_floor']} 倍），峰值内存 "
                     f"{done['import_peak_rss_mb']:.0f} MB")
    if "first_start_s" in result:
        lines.append(f"首次启动到总览显示数字：{result['first_start_s']} s")
    return "\n".join(lines)


# ---- a year's case list imported into the large database ----------------------------------------

IMPORT_PREFIX = "BENCH-IMPORT-"
IMPORT_COLUMNS = ("信访件编号", "登记日期", "信访形式", "信访人数", "是否集体访", "越级", "是否重复件",
                  "内容分类", "信访目的", "问题属地", "诉求摘要", "责任单位", "受理日期", "办理期限",
                  "办结日期", "办理状态", "满意度", "信访人", "联系电话", "身份证号")


def import_case_list(engine, content: bytes, filename: str):
    """The importer's public path, as the import page and `cli.py import` take it: read the file,
    find the header, check every row, write all of it. Returns the write's result."""
    from data.importing.cases import plan_import, write_plan
    from data.importing.reading import read_table

    frame = read_table(content, filename)
    plan = plan_import(engine, frame)
    if plan.problems:
        raise RuntimeError(f"生成的清单未通过检查：{plan.problems[0].text()}")
    return write_plan(engine, plan)


def write_case_list(engine, path: Path, rows: int, seed: int = 7) -> Path:
    """A year's case list as an office exports it (.xlsx, a title row above the header, dates as
    Excel dates), over the database's own townships, units and categories, up to its as-of day."""
    import random
    from datetime import date, datetime, timedelta

    from openpyxl import Workbook
    from sqlalchemy import text

    from queries.reference import dataset_as_of

    rng = random.Random(seed)
    end = dataset_as_of(engine, date.today())
    with engine.connect() as conn:
        towns = [r[0] for r in conn.execute(text(
            "SELECT name FROM regions WHERE level = 'township' ORDER BY code"))]
        departments = [r[0] for r in conn.execute(text(
            "SELECT name FROM units WHERE kind = 'department' ORDER BY id"))]
        categories = [r[0] for r in conn.execute(text(
            "SELECT DISTINCT category FROM cases WHERE received_on >= :d ORDER BY category"),
            {"d": end - timedelta(days=60)})]
    book = Workbook(write_only=True)
    sheet = book.create_sheet("信访件")
    sheet.append([f"信访事项登记表（{end.year - 1}年{end.month}月—{end.year}年{end.month}月）"])
    sheet.append(list(IMPORT_COLUMNS))
    channels = ["网上信访", "来访", "来信", "电话", "手机App", "微信"]
    people = [f"{rng.randint(110000, 659000)}19{rng.randint(50, 99)}{rng.randint(101, 1228):04d}"
              f"{rng.randint(1000, 9999)}" for _ in range(rows // 3)]
    for number in range(rows):
        received = end - timedelta(days=rng.randint(0, 364))
        accepted = received + timedelta(days=rng.randint(0, 14))
        due = accepted + timedelta(days=60)
        closed = received + timedelta(days=rng.randint(5, 90))
        closed = closed if closed <= end and rng.random() < 0.85 else None
        persons = 1 if rng.random() < 0.9 else rng.randint(2, 30)
        # The responsible unit as in the demo data: the township itself, or about one case in
        # five a department (not the township of another county).
        town = rng.choice(towns)
        unit = rng.choice(departments) if departments and rng.random() < 0.22 else town
        sheet.append([
            f"{IMPORT_PREFIX}{number + 1:07d}", datetime.combine(received, datetime.min.time()),
            rng.choice(channels), persons, "是" if persons >= 5 else "否",
            rng.choices(["本级", "到市", "到省", "进京"], [0.9, 0.07, 0.025, 0.005])[0],
            "是" if rng.random() < 0.2 else "否", rng.choice(categories), "求决", town,
            "反映征地补偿款未按时发放，请求尽快解决", unit,
            datetime.combine(accepted, datetime.min.time()) if accepted <= end else None,
            datetime.combine(due, datetime.min.time()),
            datetime.combine(closed, datetime.min.time()) if closed else None,
            "已办结" if closed else "办理中",
            rng.choices(["满意", "基本满意", "不满意", ""], [0.6, 0.25, 0.05, 0.1])[0] if closed else "",
            f"{rng.choice('张王李赵刘陈杨黄周吴')}{rng.choice('建国秀英志强丽华海军')}",
            f"13{rng.randint(100000000, 999999999)}", rng.choice(people)])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def time_import(url: str, path: str) -> dict:
    """Runs in a child (its own peak memory): the case list checked and written."""
    from data.database import make_engine

    content = Path(path).read_bytes()
    started = time.perf_counter()
    result = import_case_list(make_engine(url), content, Path(path).name)
    return {"import_s": round(time.perf_counter() - started, 2), "inserted": result.inserted,
            "import_peak_rss_mb": round(_peak_rss_mb(), 1)}


def import_floor(path: Path) -> float:
    """openpyxl alone reading every cell of the file (read-only mode)."""
    from openpyxl import load_workbook

    started = time.perf_counter()
    book = load_workbook(path, read_only=True, data_only=True)
    for sheet in book.worksheets:
        for _row in sheet.iter_rows(values_only=True):
            pass
    book.close()
    return time.perf_counter() - started


def undo_import(engine, settings: dict) -> None:
    """Takes the bench's imported cases out again (rollups of their months recomputed, settings
    as before), so the database keeps its size for the next run."""
    from sqlalchemy import text

    from data import rollups, search_index
    from data.database import write_setting

    like = {"p": IMPORT_PREFIX + "%"}
    with engine.begin() as conn:
        months = [rollups.as_date(r[0]) for r in conn.execute(text(
            "SELECT DISTINCT received_on FROM cases WHERE case_no LIKE :p"), like)]
        ids = [r[0] for r in conn.execute(text("SELECT id FROM cases WHERE case_no LIKE :p"), like)]
        conn.execute(text("DELETE FROM rollup_petitioners WHERE petitioner_key IN (SELECT "
                          "petitioner_key FROM cases WHERE case_no LIKE :p)"), like)
        for table in ("case_events", "evaluations", "key_cases", "cases"):
            conn.execute(text(f"DELETE FROM {table} WHERE case_no LIKE :p"), like)
        rollups.refresh(conn, months)
        search_index.refresh(conn, ids)
        conn.execute(text("DELETE FROM settings"))
        for key, value in settings.items():
            write_setting(conn, key, value)


def measure_import(url: str, rows: int = 100_000) -> dict:
    """A generated `rows`-row case list imported into the bench database (child process), then
    taken out again; and openpyxl's own read of the file."""
    from sqlalchemy import text

    from data import rollups
    from data.database import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        settings = dict(conn.execute(text("SELECT key, value FROM settings")).fetchall())
        leftover = conn.execute(text("SELECT COUNT(*) FROM cases WHERE case_no LIKE :p"),
                                {"p": IMPORT_PREFIX + "%"}).scalar()
    if leftover:
        raise RuntimeError("库中还有上次计时导入的信访件，请先重新生成")
    path = PROJECT_DIR / "data" / f"bench-import-{rows}.xlsx"
    write_case_list(engine, path, rows)
    # PostgreSQL: the dead rows of earlier runs' undoing (or a migration) vacuumed first, as
    # autovacuum would have; where it is off they would pile up and slow every later run.
    rollups.vacuum(engine)
    floor = min(import_floor(path) for _ in range(2))
    child = subprocess.run(
        [sys.executable, "-c", f"import json, ui.bench as b; print(json.dumps(b.time_import({url!r}, "
                               f"{str(path)!r})))"],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=7200)
    try:
        if child.returncode:
            raise RuntimeError(child.stderr.strip().splitlines()[-1] if child.stderr.strip()
                               else "import timing failed")
        timed = json.loads(child.stdout.strip().splitlines()[-1])
    finally:
        undo_import(engine, settings)
        rollups.vacuum(engine)
        engine.dispose()
    return {"rows": rows, **timed, "import_floor_s": round(floor, 2),
            "over_floor": round(timed["import_s"] / floor, 1)}
