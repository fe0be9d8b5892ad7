"""The running app in headless Chromium: every page opens, shows its figures, asks only the local
server for anything, and is saved as a screenshot under test-output/."""
from __future__ import annotations

import time

import pytest

from data.database import PROJECT_DIR, make_engine
from data.demo import generate
from tests.serving import CHROMIUM, require_chromium, served
from tests.signin import add_test_accounts, browser_sign_in
from queries.scope import EVERYTHING

OUTPUT = PROJECT_DIR / "test-output"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PAGES = {"overview": "信访总量", "map": "作战图：重点案件清单", "dispatch": "责任单位办理进度",
         "satisfaction": "分项比较", "ranking": "通报候选", "alerts": "预警清单",
         "import": "选择信访件清单", "search": "打开案件档案", "bigscreen": "最紧急的重点案件"}


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    db = tmp_path_factory.mktemp("browser") / "app.db"
    engine = make_engine(f"sqlite:///{db}")
    generate(engine, profile="county", cases=6000, seed=3)
    top = engine.connect().exec_driver_sql("SELECT code FROM regions WHERE level = 'county'").scalar()
    town = engine.connect().exec_driver_sql(
        "SELECT code FROM regions WHERE level = 'township' ORDER BY code").scalar()
    add_test_accounts(engine, {"tester": ("admin", top), "town": ("staff", town)})
    engine.dispose()
    return db


@pytest.fixture(scope="module")
def server(database):
    require_chromium()
    with served(f"sqlite:///{database}") as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def open_page(browser, url: str, expect_text: str, requests: list[str], user: str | None = "tester"):
    page = browser.new_page(viewport={"width": 1600, "height": 2200})
    page.on("request", lambda request: requests.append(request.url))
    page.goto(url)
    if user:
        browser_sign_in(page, user)
    page.get_by_text(expect_text).first.wait_for(timeout=120_000)
    page.wait_for_function(
        "!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
    time.sleep(2)
    return page


@pytest.mark.parametrize("path", list(PAGES))
def test_page_opens_offline_with_its_figures(server, browser, path):
    requests: list[str] = []
    page = open_page(browser, f"{server}/{path}", PAGES[path], requests)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    assert page.get_by_text("演示数据").count() >= 1
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"{path}.png"), full_page=True)
    outside = {u for u in requests if not u.startswith(server) and not u.startswith("data:")
               and not u.startswith("blob:")}
    assert not outside, f"requests outside the local server: {sorted(outside)[:5]}"
    page.close()


def test_map_draws_township_layer(server, browser):
    requests: list[str] = []
    page = open_page(browser, f"{server}/map", "作战图：重点案件清单", requests)
    drawing = page.locator(".xf-map svg").first
    drawing.wait_for(timeout=60_000)
    time.sleep(3)
    image = drawing.screenshot()
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / "map_canvas.png").write_bytes(image)
    # A blank map compresses to almost nothing; drawn areas, names and pins do not.
    assert len(image) > 20_000
    page.close()


DOWNLOADS = [("map", "下载作战图（Excel）", "重点信访案件作战图"),
             ("dispatch", "下载调度会材料（Excel）", "信访工作调度会材料"),
             ("ranking", "下载排名（Excel）", "信访工作综合排名"),
             ("ranking", "下载通报草稿（Word）", "信访工作情况的通报")]


@pytest.mark.parametrize("path,button,title", DOWNLOADS, ids=[d[1] for d in DOWNLOADS])
def test_exports_download_and_open(server, browser, database, tmp_path, path, button, title):
    from docx import Document
    from openpyxl import load_workbook

    page = open_page(browser, f"{server}/{path}", PAGES[path], [])
    if not page.get_by_role("button", name=button).is_visible():  # in the page's 导出 panel
        page.locator("[data-testid='stPopover'] button").first.click()
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name=button).click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    engine = make_engine(f"sqlite:///{database}")
    with engine.connect() as conn:  # every download is in the audit log, with its file name
        audited = [r[0] for r in conn.exec_driver_sql(
            "SELECT target FROM audit_log WHERE action = 'download' AND username = 'tester'")]
    engine.dispose()
    assert info.value.suggested_filename in audited
    if target.suffix == ".xlsx":
        book = load_workbook(target)
        assert title in book.worksheets[0]["A1"].value
        assert book.worksheets[0].max_row > 3
    else:
        text = "\n".join(p.text for p in Document(target).paragraphs)
        assert title in text
    page.close()


# A point of the screen where the township's own area is what the mouse is over (not a pin, a
# name or a neighbour): a grid over its bounding box, first hit.
AREA_POINT = """area => {
  area.scrollIntoView({block: "center"});
  const box = area.getBoundingClientRect();
  for (let i = 1; i < 24; i++) for (let j = 1; j < 24; j++) {
    const x = box.left + box.width * i / 24, y = box.top + box.height * j / 24;
    if (area.getRootNode().elementFromPoint(x, y) === area) return [x, y];
  }
  return null;
}"""


def test_clicking_a_township_narrows_the_table(server, browser, database):
    import re

    from queries.situation_map import township_areas

    engine = make_engine(f"sqlite:///{database}")
    areas = township_areas(engine, EVERYTHING)
    page = open_page(browser, f"{server}/map", "作战图：重点案件清单", [])
    heading = page.get_by_text(re.compile(r"作战图：重点案件清单（\d+ 件）")).first
    before = int(re.search(r"（(\d+) 件）", heading.inner_text()).group(1))
    page.locator(".xf-map svg").first.wait_for(timeout=60_000)
    town = areas.iloc[len(areas) // 2]
    point = page.locator(f".xf-map [data-pick='area:{town['code']}']").evaluate(AREA_POINT)
    assert point, town["name"]
    # The tooltip names the township under the mouse, as text.
    page.mouse.move(*point)
    tip = page.locator(".xf-map .xf-tip")
    tip.wait_for(state="visible", timeout=10_000)
    assert town["name"] in tip.inner_text().splitlines()[0]
    page.mouse.click(*point)
    page.get_by_text("已选中：").first.wait_for(timeout=60_000)
    page.wait_for_function(
        "!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    time.sleep(1)
    assert town["name"] in page.get_by_text("已选中：").first.inner_text()
    heading = page.get_by_text(re.compile(r"作战图：重点案件清单（\d+ 件）")).first
    after = int(re.search(r"（(\d+) 件）", heading.inner_text()).group(1))
    assert after < before
    # The chosen area is outlined on the redrawn map.
    assert page.locator(f".xf-map .picked[data-pick='area:{town['code']}']").count() == 1
    page.screenshot(path=str(OUTPUT / "map_selected.png"), full_page=True)
    page.close()


# The pin drawn last (on top of any other there): its place on the screen, key and tooltip.
TOP_PIN = """async svg => {
  svg.scrollIntoView({block: "center"});
  const pins = await svg.closest('.xf-map').xfPins();
  const [x, y, _r, _colour, key, tip] = pins[pins.length - 1];
  const at = new DOMPoint(x, y).matrixTransform(svg.getScreenCTM());
  return [at.x, at.y, key, tip];
}"""


def test_pointing_at_a_pin_shows_its_case_and_a_click_opens_it(server, browser):
    """The pins are drawn as a path per colour: the component still finds the pin under the
    mouse, shows its tooltip, rings it, and reports a click on it."""
    page = open_page(browser, f"{server}/map", "作战图：重点案件清单", [])
    svg = page.locator(".xf-map svg").first
    svg.wait_for(timeout=60_000)
    x, y, key, tip_text = svg.evaluate(TOP_PIN)
    page.mouse.move(x, y)
    tip = page.locator(".xf-map .xf-tip")
    tip.wait_for(state="visible", timeout=10_000)
    assert tip.inner_text().splitlines()[0] == tip_text.splitlines()[0]
    assert page.locator(".xf-map .pin.hover").count() == 1
    page.mouse.move(1, 1)
    assert page.locator(".xf-map .pin.hover").count() == 0
    page.mouse.click(x, y)
    page.get_by_text(f"打开案件档案：{key}").first.wait_for(timeout=60_000)
    page.wait_for_function(
        "!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    assert page.locator(".xf-map .pin.picked").count() == 1
    page.close()


def test_nothing_before_sign_in_and_lockout_message(server, browser):
    """An unsigned visit to any page shows the sign-in form only; a wrong password gets one message."""
    for path in PAGES:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(f"{server}/{'' if path == 'overview' else path}?county=1")
        page.get_by_label("用户名").wait_for(timeout=120_000)
        page.wait_for_function(
            "!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
        text = page.locator("body").inner_text()
        assert "请登录" in text
        for leaked in ("信访总量", "演示数据", "筛选条件", "宜阳", "乡镇"):
            assert leaked not in text, f"{path}: {leaked}"
        page.close()
    page = browser.new_page()
    page.goto(f"{server}/")
    browser_sign_in(page, "tester", "wrong-password-1")
    page.get_by_text("登录失败").first.wait_for(timeout=60_000)
    browser_sign_in(page, "nobody-here", "wrong-password-1")
    messages = page.get_by_text("登录失败").all_inner_texts()
    assert len(set(messages)) == 1
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "sign_in.png"), full_page=True)
    page.close()


def test_township_account_sees_its_township_only(server, browser, database):
    """A township account's overview total equals a direct count of its township, and a URL asking
    for the whole county or another township does not widen it."""
    import re

    engine = make_engine(f"sqlite:///{database}")
    with engine.connect() as conn:
        town, other = [r[0] for r in conn.exec_driver_sql(
            "SELECT code FROM regions WHERE level = 'township' ORDER BY code LIMIT 2")]
        as_of = conn.exec_driver_sql("SELECT value FROM settings WHERE key = 'as_of'").scalar() \
            or conn.exec_driver_sql("SELECT MAX(received_on) FROM cases").scalar()
        start = f"{str(as_of)[:4]}-01"
        direct = conn.exec_driver_sql(
            "SELECT COUNT(*) FROM cases WHERE township_code = ? AND received_on >= ? "
            "AND received_on <= ?", (town, f"{start}-01", str(as_of)[:10])).scalar()
    engine.dispose()
    page = open_page(browser, f"{server}/?from={start}&to={str(as_of)[:7]}&township={other}",
                     "信访总量", [], user="town")
    text = page.locator("body").inner_text()
    assert "不在本账号辖区内" in text
    total = re.search(r"信访总量\s*([\d,]+) 件", text)
    assert total and int(total.group(1).replace(",", "")) == direct
    page.screenshot(path=str(OUTPUT / "township_account.png"), full_page=True)
    page.close()


def test_overdue_card_to_a_case_file_by_clicks(server, browser):
    """总览's 逾期未结 card -> 综合查询 (its cases, as many as the card says) -> a case file."""
    page = open_page(browser, f"{server}/overview", "办理质效", [])
    card_value = page.locator(".figure-card", has_text="逾期未结").locator("div").nth(1).inner_text()
    page.get_by_role("link", name="查看逾期未结件").click()
    page.get_by_text("打开案件档案").first.wait_for(timeout=120_000)
    assert page.get_by_text(f"共 {card_value.replace(' 件', '')} 件").count() >= 1
    page.get_by_label("打开案件档案（或点选表格中的一行）").select_option(index=1)
    page.get_by_text("办理时间线").first.wait_for(timeout=120_000)
    page.wait_for_function(
        "!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
    time.sleep(2)
    assert page.get_by_text("信访人画像").count() >= 1
    assert page.locator("[data-testid='stException']").count() == 0
    cut = page.evaluate("""() => Array.from(document.querySelectorAll('[data-testid="stMain"] button *'))
        .filter(e => e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)""")
    assert cut == []  # every button label whole (显示完整信息 was cut in a quarter column)
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "case_file.png"), full_page=True)
    page.close()


def test_sidebar_drop_downs_change_the_figures_the_url_and_stay(server, browser, database):
    """The sidebar's filters are the browser's own drop-downs: picked with the keyboard-capable
    <select>, the figures follow, the URL holds the choice, and another page keeps it."""
    page = open_page(browser, f"{server}/overview", "信访总量", [])
    card = page.locator(".figure-card", has_text="信访总量").locator("div").nth(1)
    whole = card.inner_text()
    county = page.get_by_role("combobox", name="县（市、区）")
    assert county.evaluate("e => e.tagName") == "SELECT"
    assert county.evaluate("e => e.options[e.selectedIndex].text") == "全部"
    engine = make_engine(f"sqlite:///{database}")
    with engine.connect() as conn:
        code, name = conn.exec_driver_sql(
            "SELECT code, name FROM regions WHERE level = 'county' ORDER BY code").first()
        township = conn.exec_driver_sql(
            "SELECT code FROM regions WHERE level = 'township' AND parent_code = ? ORDER BY code",
            (code,)).scalar()
    engine.dispose()
    county.select_option(code)
    page.wait_for_function(f"location.search.includes('county={code}')", timeout=120_000)
    page.wait_for_function(
        "!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
    # Choosing the county offered its townships in the next drop-down.
    page.get_by_role("combobox", name="乡镇（街道）").select_option(township)
    page.wait_for_function(f"location.search.includes('township={township}')", timeout=120_000)
    page.wait_for_function(
        "!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
    assert card.inner_text() != whole
    page.locator("a[data-testid='stSidebarNavLink']", has_text="月度调度").click()
    page.get_by_text("责任单位办理进度").first.wait_for(timeout=120_000)
    assert f"county={code}" in page.url and f"township={township}" in page.url
    assert page.get_by_role("combobox", name="县（市、区）").evaluate("e => e.options[e.selectedIndex].text") == name
    assert page.locator("[data-testid='stException']").count() == 0
    # Two changes made faster than a run of the page: both are taken.
    start, end = page.get_by_role("combobox", name="统计期间：起始月份（按登记日期）"), \
        page.get_by_role("combobox", name="统计期间：截止月份")
    months = start.evaluate("e => Array.from(e.options, o => o.value)")
    start.select_option(months[1])
    end.select_option(months[-2])
    page.wait_for_function(f"location.search.includes('from={months[1]}') && "
                           f"location.search.includes('to={months[-2]}')", timeout=120_000)
    page.close()


def test_table_toolbar_offers_no_unaudited_csv(server, browser):
    """Streamlit's own "Download as CSV" on tables is hidden: downloads go through the audited,
    formula-safe exports only."""
    page = open_page(browser, f"{server}/dispatch", PAGES["dispatch"], [])
    page.get_by_role("tab", name="逾期未结清单").click()
    table = page.locator("[data-testid='stDataFrame']").first
    table.wait_for(timeout=120_000)
    table.hover()
    time.sleep(1)
    toolbar = page.locator("[data-testid='stElementToolbar']").first
    assert toolbar.count() == 1
    csv = page.locator('button[aria-label="Download as CSV"]')
    assert csv.count() == 0 or not any(csv.nth(i).is_visible() for i in range(csv.count()))
    page.close()
def test_long_html_table_draws_the_rows_in_view(server, browser):
    """The battle table (hundreds of rows) is drawn a screen at a time: fewer rows in the page than
    in the table, the last one there once scrolled to; a sort orders all of them, not only those
    drawn; a row clicked after sorting and scrolling opens that case's file."""
    import re

    from ui.html_table import WINDOW_FROM

    page = open_page(browser, f"{server}/map", "作战图：重点案件清单", [])
    heading = page.get_by_text(re.compile(r"作战图：重点案件清单（[\d,]+ 件）")).first
    count = min(1000, int(re.search(r"（([\d,]+) 件）", heading.inner_text()).group(1).replace(",", "")))
    assert count > WINDOW_FROM
    box = page.locator(".xf-table-root").last
    box.wait_for(timeout=60_000)
    drawn = lambda: box.locator("tbody tr[data-row]")  # noqa: E731
    assert 10 < drawn().count() < count
    # A screen reader is told the whole table's size and where each drawn row stands in it.
    assert box.locator("table").get_attribute("aria-rowcount") == str(count + 1)
    assert drawn().first.get_attribute("aria-rowindex") == "2"
    positions = "rows => rows.map(r => r.dataset.row)"
    first_drawn = set(box.locator("tbody tr[data-row]").evaluate_all(positions))
    headers = box.locator("th").all_inner_texts()
    days = headers.index("剩余天数") + 1
    values = lambda: [int(v) for v in box.locator(f"tbody tr[data-row] td:nth-child({days})")  # noqa: E731
                      .all_inner_texts() if v.strip()]
    to_end = "e => { e.scrollTop = e.scrollHeight; }"
    box.locator("th").nth(days - 1).click()  # fewest days left first
    smallest = values()[0]
    box.evaluate(to_end)
    time.sleep(0.5)
    assert smallest <= min(values())
    box.locator("th").nth(days - 1).click()  # most days left first, back at the top
    box.evaluate("e => { e.scrollTop = 0; }")
    time.sleep(0.5)
    largest = values()[0]
    assert largest >= max(values()) and largest >= smallest
    box.evaluate(to_end)
    time.sleep(0.5)
    # A row that was not drawn at first.
    later = [p for p in drawn().evaluate_all(positions) if p not in first_drawn]
    assert later
    row = box.locator(f"tbody tr[data-row='{later[0]}']")
    case_no = row.locator("td").nth(headers.index("信访件编号")).inner_text()
    row.click()
    page.get_by_text(f"案件档案：{case_no}").first.wait_for(timeout=60_000)
    page.close()


def test_html_table_sorts_and_opens_a_row(server, browser):
    """The dispatch's table of units (ui.html_table): a click on a header sorts by that column,
    again the other way; a click on a row (after sorting) opens 综合查询 on that unit's cases."""
    page = open_page(browser, f"{server}/dispatch", PAGES["dispatch"], [])
    table = page.locator(".xf-table")
    table.wait_for(timeout=60_000)
    column = lambda n: table.locator(f"tbody tr td:nth-child({n})").all_inner_texts()  # noqa: E731
    given = column(2)
    assert len(given) >= 2
    header = table.locator("th", has_text="本月交办")
    place = [t.inner_text() for t in table.locator("th").all()].index("本月交办") + 1
    numbers = lambda: [int(t.replace(",", "")) for t in column(place)]  # noqa: E731
    header.click()
    assert numbers() == sorted(numbers())
    header.click()
    assert numbers() == sorted(numbers(), reverse=True)
    assert header.get_attribute("aria-sort") == "descending"
    header.focus()  # the keyboard sorts as the mouse does
    page.keyboard.press("Enter")
    assert numbers() == sorted(numbers()) and header.get_attribute("aria-sort") == "ascending"
    header.click()
    assert sorted(column(2)) == sorted(given)  # the same rows, in another order
    heads = [t.inner_text() for t in table.locator("th").all()]
    overdue = int(column(heads.index("逾期未结") + 1)[0].replace(",", ""))
    # The unit clicked (first after sorting): its cases overdue at the month's end, or if none,
    # those assigned to it this month.
    expected = overdue or numbers()[0]
    table.locator("tbody tr").first.click()
    page.get_by_text("打开案件档案").first.wait_for(timeout=60_000)
    page.wait_for_function(
        "!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
    assert "/search" in page.url and "unit=" in page.url
    assert f"共 {expected:,} 件" in page.locator("[data-testid='stMain']").inner_text()
    assert page.locator("[data-testid='stException']").count() == 0
    page.close()


ENGLISH = ("Page not found", "Drag and drop", "Browse files", "200MB per file", "Choose an option",
           "empty", "Made with Streamlit")
SIZES = [(1920, 1080), (1366, 768)]


def settled_page(browser, url: str, expect_text: str, width: int, height: int):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    browser_sign_in(page, "tester")
    page.get_by_text(expect_text).first.wait_for(timeout=120_000)
    page.wait_for_function(
        "!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
    time.sleep(3)
    return page


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_in_chinese_at_projector_and_laptop_sizes(server, browser, path):
    shots = OUTPUT / "screens"
    shots.mkdir(parents=True, exist_ok=True)
    for width, height in SIZES:
        page = settled_page(browser, f"{server}/{path}", PAGES[path], width, height)
        text = page.inner_text("body")
        found = [phrase for phrase in ENGLISH if phrase in text]
        assert not found, f"{path} at {width}: English on the page: {found}"
        assert page.locator("[data-testid='stException']").count() == 0
        page.screenshot(path=str(shots / f"{path}_{width}x{height}.png"))
        page.close()


def test_root_and_readme_addresses_open_without_page_not_found(server, browser):
    for path, expect in (("", "信访总量"), ("overview?from=2025-01&to=2025-06", "信访总量")):
        page = settled_page(browser, f"{server}/{path}", expect, 1366, 768)
        time.sleep(2)
        assert "Page not found" not in page.inner_text("body")
        assert "/overview" in page.url
        page.close()


def test_uploader_and_menu_speak_chinese(server, browser):
    page = settled_page(browser, f"{server}/import", PAGES["import"], 1920, 1080)
    dropzone = page.locator("[data-testid='stFileUploaderDropzone']").first
    assert "Browse files" not in dropzone.inner_text() and "Drag and drop" not in dropzone.inner_text()
    assert "200 MB" in page.inner_text("body")
    # No main menu (its "Made with Streamlit" and other items are English).
    assert page.locator("[data-testid='stMainMenu']").count() == 0
    page.close()


def test_map_canvas_spans_the_main_column(server, browser):
    for width, height in SIZES:
        page = settled_page(browser, f"{server}/map", PAGES["map"], width, height)
        drawn = page.locator(".xf-map svg").first
        drawn.wait_for(timeout=60_000)
        main = page.locator("[data-testid='stMainBlockContainer']").first.bounding_box()
        box = drawn.bounding_box()
        assert box["width"] >= 0.8 * main["width"], (width, box["width"], main["width"])
        assert box["height"] >= 600
        page.close()


def test_satisfaction_tab_clicked_draws_its_own_table(server, browser):
    """Only the open tab of 分项比较 is computed: clicking another draws its table (and only that
    part of the page runs again: the trend chart above stays)."""
    page = open_page(browser, f"{server}/satisfaction", PAGES["satisfaction"], [])
    tables = page.locator(".xf-table")
    assert tables.count() == 1  # by county (the dissatisfied cases are drawn once asked for)
    heads = lambda: tables.first.locator("th").all_inner_texts()  # noqa: E731
    assert heads()[:2] == ["排名", "县（市、区）"]
    # Each county's monthly line drawn in its row.
    assert tables.first.locator("svg.spark polyline").count() >= 1
    page.get_by_role("tab", name="按内容分类").click()
    page.get_by_role("tab", name="按内容分类", selected=True).wait_for(timeout=60_000)
    page.wait_for_function(
        "!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
    page.locator(".xf-table th", has_text="内容分类").first.wait_for(timeout=60_000)
    assert tables.count() == 1 and heads()[:2] == ["排名", "内容分类"]
    assert page.locator(".xf-chart svg").count() >= 1
    assert page.locator("[data-testid='stException']").count() == 0
    page.close()
