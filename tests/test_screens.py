"""What the leader sees, in Chromium at the projector's 1920x1080 and the laptop's 1366x768: the
map in the first screen, overview cards and links whole, the 大屏's graded areas with their legend.
Screenshots go to test-output/screens/."""
from __future__ import annotations

import re

import pytest

from tests.test_browser import OUTPUT, PAGES, browser, database, server, settled_page  # noqa: F401

SHOTS = OUTPUT / "screens"


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def map_box(page):
    drawn = page.locator(".xf-map svg").first
    drawn.wait_for(timeout=60_000)
    return drawn.bounding_box()


def test_map_and_its_legend_fit_the_first_screen(server, browser):
    page = settled_page(browser, f"{server}/map", PAGES["map"], 1920, 1080)
    box = map_box(page)
    legend = page.locator(".map-legend").first.bounding_box()
    main = page.locator("[data-testid='stMainBlockContainer']").first.bounding_box()
    assert box["y"] + box["height"] <= 1080, box
    assert legend["y"] + legend["height"] <= 1080, legend
    assert box["width"] >= 0.8 * main["width"] and box["height"] >= 600
    text = page.inner_text("body")
    assert "案件密度" in text and "热力" not in text
    shoot(page, "map_first_screen_1920x1080")
    page.close()
    # The laptop: the map is too tall for the first screen below the controls, but the whole map
    # and its legend fit one screen once scrolled to.
    page = settled_page(browser, f"{server}/map", PAGES["map"], 1366, 768)
    box = map_box(page)
    legend = page.locator(".map-legend").first.bounding_box()
    assert legend["y"] + legend["height"] - box["y"] <= 768
    shoot(page, "map_first_screen_1366x768")
    page.close()


# Elements of the overview that must show whole: card labels, values, second lines, links.
CLIPPED = """() => {
  const parts = document.querySelectorAll(
    '.figure-card, .figure-card *, [data-testid="stMain"] [data-testid="stPageLink-NavLink"] *');
  return Array.from(parts).filter(e => e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1)
    .map(e => e.className + ': ' + e.innerText);
}"""
# A figure and its unit on one line: a value or a "↓0.2 个百分点" broken over two lines has two
# client rectangles.
BROKEN = """() => Array.from(document.querySelectorAll('.figure-card .fc-value, .figure-card .fc-figure'))
  .filter(e => e.getClientRects().length > 1).map(e => e.innerText)"""


def test_overview_cards_and_links_whole_on_a_laptop(server, browser):
    for width, height in ((1366, 768), (1920, 1080)):
        page = settled_page(browser, f"{server}/overview", PAGES["overview"], width, height)
        assert page.evaluate(CLIPPED) == [], width
        assert page.evaluate(BROKEN) == [], width
        assert page.locator(".figure-card .fc-figure").count() >= 10  # every 同比 has its figure
        link = page.get_by_role("link", name="查看逾期未结件")
        card = page.locator(".figure-card", has_text="逾期未结").first.bounding_box()
        box = link.bounding_box()
        assert box["x"] >= card["x"] - 1 and box["x"] + box["width"] <= card["x"] + card["width"] + 9
        # Links under a card stay under their own card, never into the next column.
        for name in ("查看在办件", "查看不满意件", "查看重复件", "查看信访总量信访件"):
            assert page.get_by_role("link", name=name).is_visible()
        shoot(page, f"overview_cards_{width}x{height}")
        page.close()


@pytest.mark.parametrize("path", ["dispatch", "satisfaction"])
def test_other_cards_whole_on_a_laptop(server, browser, path):
    page = settled_page(browser, f"{server}/{path}", PAGES[path], 1366, 768)
    assert page.locator(".figure-card").count() >= 3
    assert page.evaluate(CLIPPED) == []
    assert page.evaluate(BROKEN) == []
    shoot(page, f"{path}_cards_1366x768")
    page.close()


FITS = """() => {
  // The map is drawn in its component's shadow root.
  const host = Array.from(document.querySelectorAll('*')).find(
    e => e.shadowRoot && e.shadowRoot.querySelector('.xf-map svg'));
  const canvas = host && host.shadowRoot.querySelector('.xf-map svg');
  const legend = document.querySelector('.map-legend');
  return canvas && legend && canvas.getBoundingClientRect().height > 300
    && legend.getBoundingClientRect().bottom <= window.innerHeight;
}"""


def test_bigscreen_areas_graded_with_a_legend(server, browser):
    page = settled_page(browser, f"{server}/bigscreen", PAGES["bigscreen"], 1920, 1080)
    page.wait_for_function(FITS, timeout=60_000)  # sized to the window once the browser told it
    box = map_box(page)
    legend = page.locator(".map-legend").first
    assert box["y"] + box["height"] <= 1080 and box["height"] >= 800  # most of the screen
    assert "逾期未结信访件数" in legend.inner_text()
    bands = [b.inner_text().strip() for b in legend.locator(".legend-band").all()]
    ranges = [b for b in bands if b != "无数据"]
    assert len(ranges) >= 3, bands
    assert ranges[0] == "0 件"
    assert all(re.fullmatch(r"[\d,]+(–[\d,]+)? 件", b) for b in ranges), bands
    swatches = legend.locator(".legend-band > span").evaluate_all(
        "spans => spans.map(s => getComputedStyle(s).backgroundColor)")
    assert len(set(swatches)) == len(bands)
    # Type a room can read: the legend at least 20 px.
    assert float(legend.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 20
    # No chart toolbar over the colour counts on the projector.
    toolbars = page.locator("[data-testid='stElementToolbar']")
    assert all(not toolbars.nth(i).is_visible() for i in range(toolbars.count()))
    shoot(page, "bigscreen_legend_1920x1080")
    page.close()
    # A 1366x768 projector or laptop: the map, its legend and the urgent cases still fit.
    page = settled_page(browser, f"{server}/bigscreen", PAGES["bigscreen"], 1366, 768)
    page.wait_for_function(FITS, timeout=60_000)
    table = page.locator("table.urgent").first.bounding_box()
    assert table["x"] + table["width"] <= 1366
    shoot(page, "bigscreen_legend_1366x768")
    page.close()
