"""Signing in, as a user does: accounts for the test databases, and the form in AppTest and Chromium."""
from __future__ import annotations

import html
import re

from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from data.accounts import add_account
from data.database import PROJECT_DIR
from ui.apptest import app_test

PASSWORD = "Pruefung-2025x"
# name -> (role, region code) on the hand-computed fixture (tests/fixture_cases.py).
FIXTURE_ACCOUNTS = {
    "city": ("admin", "100000"),
    "jia_leader": ("leader", "100100"),
    "yizhen_staff": ("staff", "100100001"),
    "sanzhen_viewer": ("viewer", "100200001"),
}


def add_test_accounts(engine, accounts: dict[str, tuple[str, str]] | None = None) -> None:
    for name, (role, region) in (accounts or FIXTURE_ACCOUNTS).items():
        add_account(engine, name, role, region, password=PASSWORD, must_change=False, by="测试")


def sign_in(at: AppTest, username: str, password: str = PASSWORD) -> AppTest:
    """Fills the sign-in form and submits it."""
    [box for box in at.text_input if box.label == "用户名"][0].input(username)
    [box for box in at.text_input if box.label == "密码"][0].input(password)
    [b for b in at.button if b.label == "登录"][0].click()
    return at.run()


_pages_manager_init = PagesManager.__init__


def _served_like_cli(self, *args, **kwargs) -> None:
    """AppTest switches Streamlit's old pages-folder mode back on before every run (pages/
    exists); `cli.py serve` switches it off before the server starts. Run the app as served."""
    _pages_manager_init(self, *args, **kwargs)
    PagesManager.uses_pages_directory = False


PagesManager.__init__ = _served_like_cli


def signed_in_app(path: str = "app.py", user: str | None = "city", timeout: int = 120,
                  **params) -> AppTest:
    """The app (or one page) opened with URL parameters and signed in as `user` (None: not signed in)."""
    at = app_test(str(PROJECT_DIR / path), timeout)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    if user is not None:
        sign_in(at, user)
        assert not at.exception, at.exception
    return at


def browser_sign_in(page, username: str, password: str = PASSWORD) -> None:
    """The sign-in form in Chromium: fill both boxes and press 登录."""
    page.get_by_label("用户名").wait_for(timeout=120_000)
    page.wait_for_function(
        "!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
    if page.get_by_role("dialog").count():  # a notice over the page (e.g. an unknown address)
        page.keyboard.press("Escape")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def add_admin(engine, name: str = "city") -> None:
    """An administrator over the whole database (its top region), whatever the database holds."""
    with engine.connect() as conn:
        top = conn.exec_driver_sql(
            "SELECT code FROM regions WHERE level IN ('city', 'county') "
            "ORDER BY CASE level WHEN 'city' THEN 0 ELSE 1 END, code").scalar()
    add_test_accounts(engine, {name: ("admin", top)})


def open_expander(at: AppTest, key: str) -> AppTest:
    """Opens the expander with this key, as a click on it does: its content is built only while
    it is open."""
    at.session_state[key] = True
    return at.run()


def _html_texts(at: AppTest, css_class: str) -> list[str]:
    """The texts of the page's HTML elements of `css_class` (ui/markup.py), in page order, as shown
    (their inner tags taken off)."""
    found = []
    for element in at.get("html"):
        for match in re.finditer(rf"<(\w+) class='{css_class}'>(.*?)</\1>", element.proto.body, re.S):
            found.append(html.unescape(re.sub(r"<[^>]+>", "", match.group(2))))
    return found


def titles(at: AppTest) -> list[str]:
    """The page's titles: its own (ui.markup.page_title), then Streamlit's (the sign-in forms)."""
    return _html_texts(at, "xf-title") + [t.value for t in at.title]


def headings(at: AppTest) -> list[str]:
    return _html_texts(at, "xf-heading") + [s.value for s in at.subheader]


def notes(at: AppTest) -> list[str]:
    """The page's notes (ui.markup.note) in page order, then Streamlit's captions (the sidebar's)."""
    return _html_texts(at, "xf-note") + [c.value for c in at.caption]


def items(at: AppTest) -> list[str]:
    """The items of the page's HTML lists (the ranking's candidates)."""
    return _html_texts(at, "xf-item")


def chart_markup(at: AppTest) -> list[str]:
    """The markup of each chart on the page as sent (ui.charts.show_chart), in page order."""
    return [element.proto.bytes.decode("utf-8") for element in at.get("bidi_component")
            if element.proto.component_name.endswith("xinfang_chart")]


def html_tables(at: AppTest) -> list:
    """Each HTML table on the page (ui.html_table) as a DataFrame of the texts its cells show, in
    page order; with the key it was drawn under (`frame.attrs["key"]`)."""
    import pandas as pd

    from ui.map_svg import unpack

    found = []
    for element in at.get("bidi_component"):
        if not element.proto.component_name.endswith("xinfang_table"):
            continue
        markup = unpack(element.proto.bytes)[1]
        text = lambda cell: html.unescape(re.sub(r"<[^>]+>", "", cell))  # noqa: E731
        head = [text(c) for c in re.findall(r"<th[^>]*>(.*?)</th>", markup)]
        rows = [[text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
                for row in re.findall(r"<tr data-row='\d+'[^>]*>(.*?)</tr>", markup)]
        frame = pd.DataFrame(rows, columns=head)
        frame.attrs["key"] = element.proto.id
        found.append(frame)
    return found


def _choice_groups(at: AppTest) -> list[dict]:
    """The data of each group of native drop-downs on the page (ui.choices)."""
    import json

    return [json.loads(element.proto.json) for element in at.get("bidi_component")
            if element.proto.component_name.endswith("xinfang_choices")]


def choice(at: AppTest, key: str) -> dict:
    """The drop-down (or radio row) of st.session_state key `key` as drawn: its label, value,
    options [[value, text], ...], help and disabled."""
    for group in _choice_groups(at):
        for field in group["fields"]:
            if field["key"] == key:
                return {**field, "group": group["group"]}
    raise AssertionError(f"页面上没有选择项 {key}")


def choice_texts(at: AppTest) -> list[str]:
    """Every option's text of every drop-down and radio row on the page (ui.choices)."""
    return [text for group in _choice_groups(at) for field in group["fields"]
            for _value, text in field["options"]]


def choose(at: AppTest, key: str, value: str) -> AppTest:
    """Picks `value` in the drop-down of `key` as a user does in the browser, and reruns."""
    import uuid

    field = choice(at, key)
    assert field["number"] or value in [v for v, _text in field["options"]], f"{key} 没有选项 {value}"
    at.session_state[field["group"]] = {"chosen": {"n": uuid.uuid4().hex, "values": {key: value}}}
    return at.run()
