"""AppTest of the app and of every page, on the hand-computed fixture (SQLite)."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from data.database import PROJECT_DIR, make_engine, migrate
from tests.fixture_cases import load_fixture

PAGES = ["pages/overview.py"]


@pytest.fixture()
def app_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    engine = make_engine(url)
    migrate(engine)
    load_fixture(engine)
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def run_app(path="app.py", **params) -> AppTest:
    at = AppTest.from_file(str(PROJECT_DIR / path), default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def metric(at: AppTest, label: str):
    found = [m for m in at.metric if m.label == label]
    assert found, f"no metric {label}: {[m.label for m in at.metric]}"
    return found[0]


def test_overview_shows_fixture_figures(app_db):
    at = run_app(**{"from": "2025-01", "to": "2025-03"})
    assert metric(at, "信访总量").value == "12 件 / 22人次"
    assert metric(at, "集体访").value == "1 批 / 8人次"
    assert metric(at, "越级访·进京").value == "1 件 / 1人次"
    assert metric(at, "及时受理率").value == "81.8%"
    assert metric(at, "按期办结率").value == "71.4%"
    assert metric(at, "参评率").value == "60.0%"
    assert metric(at, "满意率").value == "66.7%"
    assert metric(at, "重复信访率").value == "16.7%"
    assert metric(at, "逾期未结").value == "1 件"
    assert metric(at, "在办").value == "6 件"
    assert "2025年1月至2025年3月" in at.caption[0].value


def test_county_filter_changes_figures(app_db):
    # AppTest reruns only the page script after the first run, so interactions are tested on the
    # page alone, which then draws the shared filters itself.
    at = run_app("pages/overview.py", **{"from": "2025-01", "to": "2025-03"})
    at.selectbox(key="f_county").set_value("100200").run()
    assert not at.exception
    assert metric(at, "信访总量").value == "3 件 / 4人次"
    assert at.query_params["county"] == ["100200"] or at.query_params["county"] == "100200"


def test_bad_url_parameters_explained(app_db):
    at = run_app(**{"from": "2025-13", "county": "999999"})
    warnings = " ".join(w.value for w in at.warning)
    assert "统计期间无效" in warnings and "999999" in warnings


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_alone(app_db, page):
    at = run_app(page)
    assert at.title, f"{page} shows no title"


def test_demo_banner_only_for_demo_data(app_db):
    at = run_app()
    assert not any("演示数据" in w.value for w in at.warning)


def test_missing_database_says_so(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=60)
    at.run()
    assert any("无法连接数据库" in e.value for e in at.error)
