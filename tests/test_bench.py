"""`cli.py bench`'s browser measurements, run small: every key the JSON line promises, for every
page, on a database the bench fills itself."""
from __future__ import annotations

import json
import subprocess
import sys

from data.database import PROJECT_DIR
from tests.serving import require_chromium
from ui.bench_browser import PAGE_TEXTS


def test_browser_and_concurrent_figures(tmp_path):
    require_chromium()
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    done = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "cli.py"), "bench", "--cases", "2000", "--url", url,
         "--only", "browser,concurrent", "--repeats", "1", "--sessions", "2", "--walk-seconds", "8",
         "--think-seconds", "1", "--json"],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["cases"] == 2000 and result["backend"] == "sqlite"
    assert 0 < result["browser_floor_s"] < 30
    assert set(result["browser"]) == set(PAGE_TEXTS)
    for path, page in result["browser"].items():
        assert "error" not in page, (path, page)
        assert page["median_s"] > 0 and page["over_floor"] == round(
            page["median_s"] / result["browser_floor_s"], 2)
    both = result["concurrent"]
    assert (both["sessions"], both["seconds"], both["think_s"]) == (2, 8, 1.0)
    assert both["errors"] == 0, both["error_samples"]
    assert both["server_peak_rss_mb"] > 50
    # The server and the browsers both worked during the walk (on the same machine's cores).
    assert both["cpu_cores"]["server"] > 0 and both["cpu_cores"]["browsers"] > 0
    assert both["cpu_cores"]["machine"] >= 1 and both["server_cpu_s_per_visit"] > 0
    visited = {path: page for path, page in both["pages"].items() if page["visits"]}
    assert visited  # two sessions reading a second a page get round some pages in 8 seconds
    for path, page in visited.items():
        assert 0 < page["p50_s"] <= page["p95_s"]
        assert page["p95_over_single"] == round(page["p95_s"] / result["browser"][path]["median_s"], 2)
        # Each visit is either a tab's first of the page or a later one.
        assert page["first_visits"] + page["repeat_visits"] == page["visits"]
        # Two tabs, each signed in on the overview: shown before the walk, never a first visit.
        assert page["first_visits"] == 0 if path == "overview" else 1 <= page["first_visits"] <= 2
        for kind in ("first", "repeat"):
            if page[f"{kind}_visits"]:
                assert 0 < page[f"{kind}_p50_s"] <= page[f"{kind}_p95_s"] <= page["p95_s"]
            else:
                assert page[f"{kind}_p50_s"] is None and page[f"{kind}_p95_s"] is None
        if page["repeat_visits"]:
            assert page["repeat_p95_over_single"] == round(
                page["repeat_p95_s"] / result["browser"][path]["median_s"], 2)
