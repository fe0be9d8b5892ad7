"""Speed as a user feels it, in headless Chromium against a running server (`cli.py serve`): warm
navigation from another page of the app to settled, one session and many at once, and the first
start of a fresh copy of the project.

Settled: the page's own text is shown, Streamlit's running indicator is gone, no HTTP request is
open, and for QUIET_S nothing has arrived on the websocket, no element of the page has changed and
its main thread has run no long task (a map or chart being drawn); the time is that of the last
activity, from the click. The page keeps that record itself (WATCH), so that the watching costs
the browser nothing while the page is drawn and between two clicks (twenty tabs at once)."""
from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
QUIET_S = 0.5
SETTLE_TIMEOUT_S = 120
FLOOR = "bench-floor"
# url path -> a text only that page shows once drawn.
PAGE_TEXTS = {"overview": "信访总量", "map": "作战图：重点案件清单", "dispatch": "责任单位办理进度",
              "satisfaction": "分项比较", "ranking": "通报候选", "alerts": "预警清单",
              "import": "选择信访件清单", "search": "下载查询结果", "bigscreen": "最紧急的重点案件"}
FLOOR_TEXT = "基准页面"
# url path -> the page's title in the sidebar (the default page's link is the bare address).
TITLES = {"overview": "总览", "map": "挂图作战", "dispatch": "月度调度", "satisfaction": "满意度",
          "ranking": "乡镇排名与通报", "alerts": "事前预警", "import": "数据导入", "search": "综合查询",
          "bigscreen": "大屏（投影）", FLOOR: "基准"}
STATUS = "[data-testid='stStatusWidget']"
# The page's own record of its activity, in its own clock (performance.now(), ms), kept by the page
# itself so that watching it costs the page nothing between two navigations: the last websocket
# message, the last HTTP request started or ended and how many are open, the end of the last long
# task (main thread busy over 50 ms: a map drawn, a chart laid out), the last change to the page's
# elements, and the time of the last click. `__xfSettle` waits in the page until it has settled.
WATCH = """
(() => {
  const watch = window.__xf = {last: 0, messages: 0, open: 0, closed: false, clicked: 0};
  const stamp = (at) => { watch.last = Math.max(watch.last, at ?? performance.now()); };
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) stamp(e.startTime + e.duration);
  }).observe({type: 'longtask', buffered: true});
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) stamp(e.responseEnd);
  }).observe({type: 'resource', buffered: true});
  const Socket = window.WebSocket;
  window.WebSocket = class extends Socket {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => { watch.messages += 1; stamp(); });
      this.addEventListener('close', () => { watch.closed = true; });
    }
  };
  const fetch_ = window.fetch;
  window.fetch = function (...args) {
    watch.open += 1; stamp();
    return fetch_.apply(this, args).finally(() => { watch.open -= 1; stamp(); });
  };
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...args) {
    watch.open += 1; stamp();
    this.addEventListener('loadend', () => { watch.open -= 1; stamp(); });
    return send.apply(this, args);
  };
  document.addEventListener('click', () => { watch.clicked = performance.now(); }, true);
  // A change inside a canvas (a table's fallback content for screen readers) is never shown.
  const track = () => new MutationObserver(records => {
    if (records.some(r => !(r.target.closest ? r.target : r.target.parentElement)?.closest('canvas')))
      stamp();
  }).observe(document.documentElement, {childList: true, subtree: true, characterData: true});
  if (document.documentElement) track(); else document.addEventListener('DOMContentLoaded', track);
  const frames = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const pause = (ms) => new Promise(r => setTimeout(r, ms));
  // Seconds from `started` to the last activity before the page settled: `text` shown, no
  // running indicator, a message since `before` messages, nothing open, and nothing at all for
  // `quiet` ms. Looks every 100 ms, cheaply (a tab waiting on a busy server must not add to the
  // load), and asks for two animation frames only once all is quiet: what the page draws has
  // been drawn.
  window.__xfSettle = async (text, started, before, quiet, timeout, status) => {
    while (performance.now() - started < timeout) {
      await pause(100);
      if (watch.closed) throw new Error('连接断开');
      if (watch.messages <= before || watch.open > 0 || performance.now() - watch.last < quiet
          || document.querySelector(status) || !document.body.textContent.includes(text))
        continue;
      await frames();
      // Whatever made it ready (text shown, indicator gone) was a change, and so stamped.
      if (performance.now() - watch.last >= quiet)
        return (Math.max(watch.last, started) - started) / 1000;
    }
    throw new Error('timeout');
  };
})();
"""
ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(base: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("看板服务未能启动")
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=1).read() == b"ok":
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("看板服务启动超时")


class Server:
    """`cli.py serve` on a free port with the bench's floor page; the peak resident memory of its
    process tree, sampled from /proc."""

    def __init__(self, url: str | None, project_dir: Path = PROJECT_DIR):
        """url None: the project's default database (as the README's run command uses it)."""
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        if url:
            environment.update(DATABASE_URL=url, BENCH_FLOOR_PAGE="1")
        self.process = subprocess.Popen(
            [sys.executable, str(project_dir / "cli.py"), "serve", "--headless", "--port",
             str(self.port), "--address", "127.0.0.1"],
            cwd=project_dir, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, start_new_session=True)
        self.output: list[str] = []
        threading.Thread(target=self._read_output, daemon=True).start()
        self.peak_rss_mb = 0.0
        self._sampling = False

    def _read_output(self) -> None:
        for line in self.process.stdout:
            self.output.append(line)

    def wait(self, timeout: float = 600) -> "Server":
        _wait_healthy(self.base, self.process, timeout)
        return self

    def rss_mb(self) -> float:
        return sum(_rss_kb(pid) for pid in _tree(self.process.pid)) / 1024

    def sample_rss(self, interval: float = 0.25) -> None:
        """Samples the tree's memory in a thread until stop_sampling()."""
        self._sampling = True

        def sample():
            while self._sampling:
                self.peak_rss_mb = max(self.peak_rss_mb, self.rss_mb())
                time.sleep(interval)

        threading.Thread(target=sample, daemon=True).start()

    def stop_sampling(self) -> float:
        self._sampling = False
        return round(self.peak_rss_mb, 1)

    def stop(self) -> None:
        self._sampling = False
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _tree(root: int) -> list[int]:
    """The process and its descendants (from /proc/<pid>/task/*/children)."""
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                todo += [int(p) for p in (task / "children").read_text().split()]
            except OSError:
                pass
    return pids


def _cpu_s(pids: list[int]) -> float:
    """CPU seconds (user and system) the processes have used so far, with those of their children
    that have ended (a browser tab's process closed during the walk): from /proc/<pid>/stat."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return total / os.sysconf("SC_CLK_TCK")


def cpu_split(server: Server) -> dict[str, float]:
    """CPU seconds so far of the server's process tree and of the browsers this process drives
    (its other children: Playwright's driver and Chromium's processes)."""
    served = set(_tree(server.process.pid))
    ours = [pid for pid in _tree(os.getpid()) if pid not in served and pid != os.getpid()]
    return {"server": _cpu_s(sorted(served)), "browsers": _cpu_s(ours)}


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Session:
    """One browser tab with its own Streamlit session. What it does is watched by the page itself
    (WATCH): the bench only asks, once per navigation, for the time it took."""

    def __init__(self, page):
        self.page = page
        self.disconnected = False

    async def _messages(self) -> int:
        return await self.page.evaluate("window.__xf.messages")

    async def settle(self, text: str, started: float, before: int) -> float:
        """Seconds from `started` (the page's clock, ms) to the last activity before the page
        settled, with a websocket message after the first `before` ones."""
        from playwright.async_api import Error

        try:
            return await self.page.evaluate(
                "([text, started, before, quiet, timeout, status]) => "
                "window.__xfSettle(text, started, before, quiet, timeout, status)",
                [text, started, before, QUIET_S * 1000, SETTLE_TIMEOUT_S * 1000, STATUS])
        except Error as exc:
            if "连接断开" in str(exc):
                self.disconnected = True
                raise RuntimeError("连接断开") from None
            if "timeout" in str(exc):
                raise RuntimeError(f"{SETTLE_TIMEOUT_S} 秒内未完成") from None
            raise

    async def _click(self, target) -> tuple[float, int]:
        """Clicks `target`; the page's clock at the click and the messages before it."""
        before = await self._messages()
        await target.click()
        return await self.page.evaluate("window.__xf.clicked"), before

    async def sign_in(self, base: str, username: str, password: str, new_password: str | None = None
                      ) -> None:
        page = self.page
        await page.goto(f"{base}/overview", timeout=SETTLE_TIMEOUT_S * 1000)
        await page.get_by_label("用户名").wait_for(timeout=SETTLE_TIMEOUT_S * 1000)
        await page.wait_for_function(f"!document.querySelector(\"{STATUS}\")",
                                     timeout=SETTLE_TIMEOUT_S * 1000, polling=100)
        if await page.get_by_role("dialog").count():  # a notice over the form
            await page.keyboard.press("Escape")
        await page.get_by_label("用户名").fill(username)
        await page.get_by_label("密码").fill(password)
        button = page.get_by_role("button", name="登录")
        if new_password:
            await button.click()
            await page.get_by_label("新密码", exact=True).wait_for(timeout=SETTLE_TIMEOUT_S * 1000)
            await page.get_by_label("当前密码").fill(password)
            await page.get_by_label("新密码", exact=True).fill(new_password)
            await page.get_by_label("再次输入新密码").fill(new_password)
            button = page.get_by_role("button", name="修改密码")
        started, before = await self._click(button)
        await self.settle(PAGE_TEXTS["overview"], started, before - 1)

    async def go(self, path: str) -> float:
        """Clicks the sidebar link to `path` and waits until it has settled; seconds from the
        click."""
        page = self.page
        link = page.locator("a[data-testid='stSidebarNavLink']",
                            has_text=re.compile(f"^{TITLES[path]}$")).first
        if not await link.is_visible() and await page.get_by_text("退出大屏").count():
            # The 大屏 hides the sidebar: leave it by its own link first (not timed).
            await self.settle(PAGE_TEXTS["overview"], *await self._click(page.get_by_text("退出大屏")))
        if not await link.is_visible():
            more = page.locator("[data-testid='stSidebarNavViewButton']")
            if await more.count():
                await more.first.click()
        started, before = await self._click(link)
        seconds = await self.settle(FLOOR_TEXT if path == FLOOR else PAGE_TEXTS[path], started,
                                    before)
        if await page.locator(ERRORS).count():
            raise RuntimeError("页面显示错误")
        return seconds


async def _launch(playwright):
    return await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)


async def _new_session(browser) -> Session:
    context = await browser.new_context(viewport={"width": 1600, "height": 1000})
    await context.add_init_script(WATCH)
    return Session(await context.new_page())


async def _single(base: str, username: str, password: str, repeats: int) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await _launch(playwright)
        session = await _new_session(browser)
        await session.sign_in(base, username, password)
        times: dict[str, list[float]] = {path: [] for path in [FLOOR, *PAGE_TEXTS]}
        failures: dict[str, str] = {}
        for round_ in range(repeats + 1):  # the first round warms up: imports, caches
            for path in times:
                try:
                    await session.go("overview" if path == FLOOR else FLOOR)
                    seconds = await session.go(path)
                except Exception as exc:  # noqa: BLE001 - the page is reported, the rest go on
                    failures[path] = str(exc).splitlines()[0][:120]
                    continue
                if round_:
                    times[path].append(seconds)
        await browser.close()
    medians = {path: round(statistics.median(values), 3) if values else None
               for path, values in times.items()}
    floor = medians.pop(FLOOR)
    return {"browser": {path: {"median_s": value,
                               "over_floor": round(value / floor, 2) if value and floor else None,
                               **({"error": failures[path]} if path in failures else {})}
                        for path, value in medians.items()},
            "browser_floor_s": floor}


def measure_browser(base: str, username: str, password: str, repeats: int = 5) -> dict:
    """Warm navigation to every page (from another page of the app): median of `repeats`."""
    return asyncio.run(_single(base, username, password, repeats))


async def _signed_in(browser, base, username, password, errors) -> Session | None:
    try:
        session = await _new_session(browser)
        await session.sign_in(base, username, password)
        return session
    except Exception as exc:  # noqa: BLE001 - counted, not raised: the others go on
        errors.append(f"登录：{str(exc).splitlines()[0][:120]}")
        return None


async def _walker(session, order, stop_at, results, errors, offset, think, pause):
    """Walks the pages in turn from `order[offset]`; after each page, reads it for `pause()`
    seconds (with `think` 0, goes on at once: a stress, not a meeting)."""
    if session is None:
        return
    step = offset
    seen = {"overview"}  # the pages this tab has shown (the sign-in opens the overview)
    if think:
        await asyncio.sleep(pause() / 2)  # the room does not click in step
    while time.monotonic() < stop_at:
        path = order[step % len(order)]
        step += 1
        try:
            results[path].append((await session.go(path), path not in seen))
            seen.add(path)
        except Exception as exc:  # noqa: BLE001
            errors.append(f"{path}：{str(exc).splitlines()[0][:120]}")
            if session.disconnected:
                return
        if think:
            await asyncio.sleep(min(pause(), max(0.0, stop_at - time.monotonic())))
    await session.page.context.close()


async def _concurrent(base, username, password, sessions, seconds, think, server) -> dict:
    import random

    from playwright.async_api import async_playwright

    draw = random.Random(think * 1000 + sessions)

    def pause() -> float:
        return draw.uniform(think / 2, think * 1.5)

    order = list(PAGE_TEXTS)
    results: dict[str, list[float]] = {path: [] for path in order}
    errors: list[str] = []
    async with async_playwright() as playwright:
        browser = await _launch(playwright)
        # Everybody signs in first (as a meeting room does before it starts); the walk is timed
        # from then on.
        signed = await asyncio.gather(*[_signed_in(browser, base, username, password, errors)
                                        for _ in range(sessions)])
        stop_at = time.monotonic() + seconds
        before, started = cpu_split(server), time.monotonic()
        await asyncio.gather(*[_walker(session, order, stop_at, results, errors, i, think, pause)
                               for i, session in enumerate(signed)])
        after, elapsed = cpu_split(server), time.monotonic() - started
        await browser.close()
    pages = {}
    for path, visited in results.items():
        # All visits, then apart: a tab's first visit of the page (it loads and compiles the
        # browser code of the page's kinds of elements, lays out their text for the first time)
        # and its visits after that (as the single browser's are).
        first = [seconds for seconds, is_first in visited if is_first]
        again = [seconds for seconds, is_first in visited if not is_first]
        pages[path] = {"visits": len(visited), **_quantiles([s for s, _ in visited]),
                       "first_visits": len(first),
                       **{f"first_{k}": v for k, v in _quantiles(first).items()},
                       "repeat_visits": len(again),
                       **{f"repeat_{k}": v for k, v in _quantiles(again).items()}}
    visits = sum(len(values) for values in results.values())
    # Where the machine's time went during the walk: cores busy on average, and the server's CPU
    # seconds per page visited (on one machine the browsers take their share of the same cores).
    cores = {part: round((after[part] - before[part]) / elapsed, 2) for part in after}
    return {"sessions": sessions, "seconds": seconds, "think_s": think, "pages": pages,
            "cpu_cores": {**cores, "machine": os.cpu_count()},
            "server_cpu_s_per_visit": round((after["server"] - before["server"]) / visits, 3)
            if visits else None,
            "errors": len(errors),
            "error_samples": errors[:10]}


def _quantiles(values: list[float]) -> dict:
    values = sorted(values)
    return {"p50_s": round(statistics.median(values), 3) if values else None,
            "p95_s": round(values[min(len(values) - 1, int(len(values) * 0.95))], 3)
            if values else None}


def measure_concurrent(server: Server, username: str, password: str, sessions: int = 20,
                       seconds: int = 120, think: float = 10.0) -> dict:
    """`sessions` signed-in tabs, each walking all pages in turn for `seconds` (the walks started
    at different pages), reading each page for `think` seconds on average (half to one and a half
    times, at random; 0: no reading at all); per page p50/p95 settle, errors, the server's peak
    memory."""
    server.peak_rss_mb = 0.0
    server.sample_rss()
    result = asyncio.run(_concurrent(server.base, username, password, sessions, seconds, think,
                                     server))
    result["server_peak_rss_mb"] = server.stop_sampling()
    return result


def _project_copy(target: Path) -> Path:
    """The project's tracked files (as checked out now) without any database: a fresh install."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=PROJECT_DIR,
                           capture_output=True, text=True, check=True).stdout.split("\n")
    for name in files:
        source = PROJECT_DIR / name
        if not name or not source.is_file() or name.startswith(".venv/"):
            continue
        if source.suffix in (".db", ".db-wal", ".db-shm") or name.endswith("initial-passwords.txt"):
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name)
    return target


async def _first_start(copy: Path) -> dict:
    """The browser is open before the command starts (as a user's is): its launch is not timed."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await _launch(playwright)
        session = await _new_session(browser)
        started = time.monotonic()
        server = Server(None, copy)
        try:
            await asyncio.to_thread(server.wait, 900)
            serving = time.monotonic() - started
            password = None
            for _ in range(100):
                found = re.search(r"用户名 admin\s+初始密码 (\S+)", "".join(server.output))
                if found:
                    password = found.group(1)
                    break
                await asyncio.sleep(0.1)
            if password is None:
                raise RuntimeError("启动窗口中没有管理员初始密码")
            try:
                await session.sign_in(server.base, "admin", password, new_password="Erstlauf-2025x")
            except Exception:
                await session.page.screenshot(
                    path=str(PROJECT_DIR / "test-output" / "first-start.png"))
                raise
            if await session.page.locator(ERRORS).count():
                raise RuntimeError("总览显示错误")
            total = time.monotonic() - started
        finally:
            server.stop()
            await browser.close()
    return {"first_start_s": round(total, 1), "first_start_serving_s": round(serving, 1)}


def measure_first_start() -> dict:
    """The README's run command (`cli.py serve`) in a fresh copy of the project (no database),
    until the overview shows its figures, signing in with the printed admin password and changing
    it as the first sign-in asks."""
    with tempfile.TemporaryDirectory(prefix="xf-first-start-") as folder:
        return asyncio.run(_first_start(_project_copy(Path(folder))))
