"""User text never becomes markup: hostile place, unit and category names in the database and
hostile URL parameters show as the text they are, never as a link, an image or HTML."""
from __future__ import annotations

import html
import re

from xml.etree import ElementTree

import pytest
from markdown_it import MarkdownIt
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from data.database import make_engine, migrate
from tests.fixture_cases import load_fixture
from tests.signin import add_test_accounts, chart_markup, choose, items, notes, open_expander, signed_in_app
from ui.cards import card_html, figure_cards
from ui.markup import WORD_JOINER, html_text, md_text

IMAGE = "![t](http://127.0.0.1:9/t.png)"
LINK = "[请重新登录](http://10.0.0.9/login)"
COUNTY = "[甲县](http://10.0.0.9/county) :red[红] $x$"
CATEGORY = "**分类**<img src=http://127.0.0.1:9/c.png>\n\n# 标题 https://10.0.0.9/c"
HOSTILE = (IMAGE, LINK, COUNTY, CATEGORY)
RENDER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def rendered(body: str) -> str:
    return RENDER.render(body)


def assert_inert(bodies: list[str]) -> None:
    """No body renders a link (other than the app's own drill-down to 综合查询), an image, a
    heading of its own or raw HTML from the user."""
    for body in bodies:
        html = rendered(body).replace('<a href="search?', "<own-link ")
        assert "<img" not in html and "<a " not in html, body
        assert "<h1>" not in html and "<strong>分类" not in html, body


def assert_page_inert(at: AppTest) -> None:
    """Nothing on the page renders the user's text as markup: its Markdown elements as above, and
    its HTML elements (titles, notes, lists: ui.markup) carry no tag of the user's."""
    assert_inert(bodies(at))
    drawn = [element.proto.bytes.decode("utf-8", "replace") for element in at.get("bidi_component")]
    assert len(drawn) >= len(chart_markup(at))  # charts, tables and maps drawn by the browser
    for body in [element.proto.body for element in at.get("html")] + drawn:
        assert "<img" not in body and "<a " not in body and "<script" not in body, body
        assert not re.search(r"<[^>]*\son\w+\s*=", body), body  # no event handler attribute


def bodies(at: AppTest) -> list[str]:
    found = [e.value for kind in ("markdown", "caption", "warning", "info", "error", "success",
                                  "title", "subheader", "header") for e in getattr(at, kind)]
    found += [m.label for m in at.metric] + [e.label for e in at.expander]
    return found


def test_addresses_are_not_linked_after_parsing():
    """Streamlit links bare addresses in parsed text (GFM autolink literals): they are broken."""
    for value in ("http://10.0.0.9/x", "https://a.b", "www.example.org", "a@b.cn", "WWW.X.CN"):
        escaped = md_text(value)
        assert WORD_JOINER in escaped and escaped.replace(WORD_JOINER, "").replace("\\", "") == value
        plain = escaped.replace("\\", "")
        assert "://" not in plain and "www." not in plain.lower() and "@b" not in plain


@pytest.mark.parametrize("value", HOSTILE)
def test_escaped_text_renders_as_written(value):
    html = rendered(md_text(value))
    assert "<a " not in html and "<img" not in html and "<h1>" not in html and "<strong>" not in html
    shown = html.removeprefix("<p>").removesuffix("</p>\n").replace(WORD_JOINER, "")
    expected = " ".join(value.split()).replace("&", "&amp;").replace("<", "&lt;").replace(
        ">", "&gt;").replace('"', "&quot;")
    assert shown == expected


def test_card_html_keeps_user_text_inside_its_block():
    class Slot:
        def html(self, body):
            self.body = body

    slot = Slot()
    figure_cards(slot, [card_html(CATEGORY, IMAGE, "\n\n" + IMAGE, LINK, help_text="'><img src=x>")])
    html = rendered(slot.body)
    assert "<img" not in html and "<a " not in html and "\n" not in slot.body
    assert html_text(CATEGORY) in slot.body


def test_chart_keeps_user_text_as_text():
    """A chart drawn on the server: hostile names stay text in the SVG and in its hover texts,
    the markup stays one HTML block, nothing is fetched."""
    import altair as alt
    import pandas as pd

    from ui.charts import render_svg

    names = [*HOSTILE, "<script>alert(1)</script>", 'a"; 名称: b']
    frame = pd.DataFrame({"name": names, "v": range(len(names))})
    spec = alt.Chart(frame).mark_bar().encode(
        x="name:N", y="v:Q", tooltip=[alt.Tooltip("name:N", title="名称"),
                                      alt.Tooltip("v:Q", title="件数")]).to_dict()
    svg = render_svg(spec, 400)
    html = rendered(f"<div class='xf-chart'>{svg}</div>")
    assert "\n" not in svg and "<script" not in html and "<img" not in html and "<a " not in html
    assert "<h1>" not in html and "<strong>" not in html
    attributes = {name.split("}")[-1] for element in ElementTree.fromstring(svg).iter()
                  for name in element.attrib}
    assert not attributes & {"href", "src"}  # the addresses are text only
    assert html_text("<script>alert(1)</script>") in svg
    assert "<title>名称：&lt;script&gt;alert(1)&lt;/script&gt;&#10;件数：4</title>" in svg


@pytest.fixture()
def hostile_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'hostile.db'}"
    engine = make_engine(url)
    migrate(engine)
    load_fixture(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE regions SET name = :n WHERE code = '100100001'"), {"n": IMAGE})
        conn.execute(text("UPDATE regions SET name = :n WHERE code = '100100'"), {"n": COUNTY})
        conn.execute(text("UPDATE units SET name = :n WHERE id = 1"), {"n": IMAGE})
        conn.execute(text("UPDATE cases SET category = :c, summary = :c WHERE case_no IN ('A1', 'B1')"),
                     {"c": CATEGORY})
        conn.execute(text("UPDATE key_cases SET leader = :l, requirements = :l"), {"l": LINK})
    from data.rollups import rebuild_all

    rebuild_all(engine)
    add_test_accounts(engine)
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def shown(value: str) -> str:
    """What a note (ui.markup.note) shows of `value`."""
    return html.unescape(html_text(value))


def run(path="app.py", **params) -> AppTest:
    return signed_in_app(path, "city", **params)


def test_hostile_url_parameter_shown_as_text(hostile_db):
    at = run(**{"from": "2025-01", "to": "2025-03", "category": LINK, "township": IMAGE})
    warnings = " ".join(w.value for w in at.warning)
    assert md_text(LINK) in warnings and md_text(IMAGE) in warnings
    assert_page_inert(at)


def test_hostile_names_in_every_page(hostile_db):
    at = run(**{"from": "2025-01", "to": "2025-03", "county": "100100",
                "township": "100100001", "category": CATEGORY})
    caption = notes(at)[0]  # HTML: the text as written, nothing of it read as markup
    assert shown(IMAGE) in caption and shown(COUNTY) in caption
    assert shown(" ".join(CATEGORY.split())) in caption
    assert_page_inert(at)
    for page in ("pages/situation_map.py", "pages/dispatch.py", "pages/satisfaction.py",
                 "pages/ranking.py", "pages/alerts.py", "pages/data_import.py"):
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert shown(IMAGE) in notes(at)[0], page
        assert_page_inert(at)
    for section in ("逾期未结清单", "重点案件", "新增、办结与存量走势"):  # the dispatch's other tabs
        at.switch_page("pages/dispatch.py")
        at.session_state["dispatch_section"] = section
        at.run()
        assert not at.exception, (section, at.exception)
        assert_page_inert(at)


def test_hostile_township_named_in_ranking_and_map(hostile_db):
    at = run("pages/ranking.py")
    choose(at, "rank_kind", "quarter")
    choose(at, "rank_period", "2025-Q1")
    open_expander(at, "rank_scheme_open")
    at.number_input(key="r_cases").set_value(1).run()
    at.number_input(key="r_min").set_value(1).run()
    assert not at.exception
    candidates = items(at)
    assert any(shown(IMAGE) in c for c in candidates), candidates
    assert_page_inert(at)

    at = run("pages/situation_map.py", **{"from": "2025-01", "to": "2025-03"})
    at.session_state["situation_map_all_all"] = {"picked": "area:100100001"}  # a click on it
    at.run()
    assert not at.exception
    assert any(md_text(IMAGE) in i.value for i in at.info)
    assert_page_inert(at)
    # The map's SVG names the township as text: well-formed, nothing but the map's own elements.
    from xml.etree import ElementTree

    from tests.test_pages import svg_maps

    for svg in svg_maps(at):
        root = ElementTree.fromstring(svg)
        assert {e.tag.split("}")[-1] for e in root.iter()} <= {"svg", "title", "path", "circle", "text",
                                                                "metadata"}
        assert not any(name.startswith("on") or "href" in name for e in root.iter() for name in e.attrib)


def test_html_table_escapes_every_text():
    """A table drawn as HTML (ui.html_table): names, headers and help texts are text; figures
    formatted; a missing value blank and sorted last; colours only from the page's own list."""
    import pandas as pd

    from ui.html_table import table_parts

    frame = pd.DataFrame({"地区": [CATEGORY, "<b>乙</b>"], "件数": [1234, None],
                          "满意率": [96.25, float("nan")], "提示": ["有逾期", "<i>x</i>"]})
    head, rows = table_parts(frame, formats={"件数": "count", "满意率": "pct"},
                             colours={"提示": {"有逾期": "#c0392b"}},
                             help_texts={"满意率": "<script>alert(1)</script>"})
    body = head + "".join(rows)
    assert "<img" not in body and "<b>" not in body and "<i>" not in body and "<script" not in body
    assert "&lt;img src=http://127.0.0.1:9/c.png&gt;" in body and "&lt;b&gt;乙&lt;/b&gt;" in body
    assert "<td class='num' data-v='1234.0'>1,234</td>" in body and ">96.2%<" in body
    assert "<tr data-row='1' tabindex='0'>" in body  # a row is opened by the keyboard too
    assert body.count("<td data-v=''></td>") == 2  # missing count and rate: blank, sorted last
    assert "<span class='tag' style='background:#c0392b'>有逾期</span>" in body
    assert "<td>&lt;i&gt;x&lt;/i&gt;</td>" in body  # a value without a colour: plain text
    assert "title='&lt;script&gt;" in body
    # A line break in user text stays inside its cell: every row is one line of what is sent (the
    # browser splits rows at line breaks).
    head, rows = table_parts(pd.DataFrame({"要求": ["第一行\n<b>第二行</b>", "乙"]}))
    assert len(rows) == 2 and all("\n" not in row for row in [head, *rows])
    assert "第一行&#10;&lt;b&gt;第二行&lt;/b&gt;" in rows[0]
