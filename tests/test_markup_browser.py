"""In Chromium: with hostile place, unit and category names in the database and in the URL, no
page asks anything of a host other than the local server, and no link or image is drawn."""
from __future__ import annotations

import urllib.parse
import urllib.request

import pytest
from sqlalchemy import text

from data.database import make_engine, migrate
from tests.fixture_cases import load_fixture
from tests.signin import add_test_accounts
from tests.serving import require_chromium, served
from tests.test_browser import browser, open_page  # noqa: F401 - fixture reused
from tests.test_markup import CATEGORY, COUNTY, IMAGE, LINK
from ui.markup import WORD_JOINER

PAGES = {"overview": "信访总量", "map": "作战图：重点案件清单", "dispatch": "责任单位办理进度",
         "satisfaction": "分项比较", "ranking": "乡镇排名与通报", "alerts": "预警清单",
         "import": "选择信访件清单"}


def visible_text(page) -> str:
    """What the page reads as, without the invisible joiners that keep addresses unlinked."""
    return page.evaluate("document.body.innerText").replace(WORD_JOINER, "")


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):

    require_chromium()
    db = tmp_path_factory.mktemp("hostile") / "app.db"
    engine = make_engine(f"sqlite:///{db}")
    migrate(engine)
    load_fixture(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE regions SET name = :n WHERE code = '100100001'"), {"n": IMAGE})
        conn.execute(text("UPDATE regions SET name = :n WHERE code = '100100'"), {"n": COUNTY})
        conn.execute(text("UPDATE units SET name = :n WHERE id = 1"), {"n": IMAGE})
        conn.execute(text("UPDATE cases SET category = :c, summary = :c"), {"c": CATEGORY})
        conn.execute(text("UPDATE key_cases SET leader = :l"), {"l": LINK})
    from data.rollups import rebuild_all

    rebuild_all(engine)
    add_test_accounts(engine, {"tester": ("admin", "100000")})
    engine.dispose()
    with served(f"sqlite:///{db}") as base:
        yield base


@pytest.mark.parametrize("path", list(PAGES))
def test_hostile_names_fetch_nothing_and_link_nothing(hostile_server, browser, path):  # noqa: F811
    query = urllib.parse.urlencode({"from": "2025-01", "to": "2025-03", "county": "100100",
                                    "township": "100100001", "category": CATEGORY})
    requests: list[str] = []
    page = open_page(browser, f"{hostile_server}/{path}?{query}", PAGES[path], requests)
    assert page.locator("[data-testid='stException']").count() == 0
    assert IMAGE in visible_text(page)  # shown as text
    # The sidebar's own drop-down names the township as text too (an <option>, not markup).
    township = page.get_by_role("combobox", name="乡镇（街道）")
    assert township.evaluate("e => e.options[e.selectedIndex].text") == IMAGE
    drawn = page.locator("img[src*='127.0.0.1:9'], a[href*='//10.0.0.9']")
    assert drawn.count() == 0, [drawn.nth(i).evaluate("e => e.parentElement.parentElement.outerHTML")
                                for i in range(drawn.count())]
    page.close()

    # A URL parameter that is not a category: the warning quotes it, as text.
    page = open_page(browser, f"{hostile_server}/{path}?" + urllib.parse.urlencode(
        {"category": LINK}), "链接中的内容分类", requests)
    assert page.locator("a[href*='//10.0.0.9']").count() == 0
    assert LINK in visible_text(page)
    page.close()
    outside = {u for u in requests if not u.startswith(hostile_server)
               and not u.startswith(("data:", "blob:"))}
    assert not outside, f"requests outside the local server: {sorted(outside)[:5]}"
