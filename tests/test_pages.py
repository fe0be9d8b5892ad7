"""AppTest of the app and of every page, on the hand-computed fixture (SQLite)."""
from __future__ import annotations

import json
import re

import numpy as np
from xml.etree import ElementTree
import pytest
from streamlit.testing.v1 import AppTest

from data.database import PROJECT_DIR, make_engine, migrate
from tests.signin import add_admin, add_test_accounts, chart_markup, choice, choose, headings, html_tables, items, notes, open_expander, sign_in, signed_in_app, titles
from ui.apptest import app_test

PAGES = ["pages/overview.py", "pages/situation_map.py", "pages/bigscreen.py", "pages/dispatch.py",
         "pages/satisfaction.py", "pages/ranking.py", "pages/alerts.py", "pages/data_import.py",
         "pages/search.py"]


def run_app(path="app.py", user="city", **params) -> AppTest:
    return signed_in_app(path, user, **params)


CARD = re.compile(r"figure-card.*?<div[^>]*>(?P<label>[^<]*)</div><div[^>]*>(?P<value>[^<]*)</div>"
                  r"<div[^>]*>(?P<detail>.*?)</div>", re.S)
TAG = re.compile(r"<[^>]+>")


def card(at: AppTest, label: str) -> str:
    """'value | detail' of the figure card with this label (the detail's markup taken off)."""
    bodies = markup(at)
    cards = {m["label"]: f"{m['value']} | {TAG.sub('', m['detail'])}"
             for body in bodies for m in CARD.finditer(body)}
    assert label in cards, f"no card {label}: {list(cards)}"
    return cards[label]


def test_overview_shows_fixture_figures(app_db):
    at = run_app(**{"from": "2025-01", "to": "2025-03"})
    assert card(at, "信访总量") == "12 件 | 22 人次"
    assert card(at, "集体访") == "1 批 | 8 人次"
    assert card(at, "越级访·到市") == "1 件 | 2 人次"
    assert card(at, "越级访·到省") == "1 件 | 3 人次"
    assert card(at, "越级访·进京") == "1 件 | 1 人次"
    assert card(at, "及时受理率") == "81.8% | 9 / 11"
    assert card(at, "按期办结率") == "71.4% | 5 / 7"
    assert card(at, "参评率") == "60.0% | 3 / 5"
    assert card(at, "满意率") == "66.7% | 2 / 3"
    assert card(at, "重复信访率") == "16.7% | 2 / 12"
    assert card(at, "逾期未结").startswith("1 件")
    assert card(at, "在办").startswith("6 件")
    assert "2025年1月至2025年3月" in notes(at)[0]


def test_county_filter_changes_figures(app_db):
    at = run_app(**{"from": "2025-01", "to": "2025-03"})
    choose(at, "f_county", "100200")
    assert not at.exception
    assert card(at, "信访总量") == "3 件 | 4 人次"
    assert at.query_params["county"] == ["100200"] or at.query_params["county"] == "100200"


def test_bad_url_parameters_explained(app_db):
    at = run_app(**{"from": "2025-13", "county": "999999"})
    warnings = " ".join(w.value for w in at.warning)
    assert "统计期间无效" in warnings and "999999" in warnings


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_alone(app_db, page):
    at = run_app(page)
    assert titles(at) or "bigscreen-title" in " ".join(markup(at)), \
        f"{page} shows no title"


@pytest.mark.parametrize("page", PAGES)
def test_tables_sent_without_per_cell_styles_or_formatters(app_db, page):
    """A pandas Styler (its CSS for every cell, built at every run and parsed by the browser) and
    Streamlit's "localized" numbers (a number formatter built afresh for each cell drawn) made the
    pages slow: no table of a page is sent with either."""
    at = run_app(page)
    assert not at.exception
    for table in at.dataframe:
        assert not table.proto.arrow_data.HasField("styler"), page
        assert '"localized"' not in table.proto.columns, page


def test_demo_banner_only_for_demo_data(app_db):
    at = run_app()
    assert not any("演示数据" in w.value for w in at.warning)


def test_missing_database_says_so(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    at = app_test(str(PROJECT_DIR / "app.py"), 60)
    at.run()
    assert any("无法连接数据库" in e.value for e in at.error)


SERVED: dict[str, bytes] = {}  # media address -> what the pages stored there (this test's)


@pytest.fixture(autouse=True)
def _served_media(monkeypatch):
    """Keeps what a page puts in Streamlit's media store (AppTest forgets it after the run), under
    the address the page was given."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    store = MemoryMediaFileStorage.load_and_get_id

    def keep(self, path_or_data, mimetype, kind, filename=None):
        file_id = store(self, path_or_data, mimetype, kind, filename)
        SERVED[self.get_url(file_id)] = path_or_data
        return file_id

    SERVED.clear()
    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)


def svg_maps(at: AppTest) -> list[str]:
    """The SVG of every map on the page as sent to the browser, with its pins' places and tooltips
    (fetched from the address sent with it) put back in as they were drawn."""
    import html

    from ui.map_svg import unpack

    maps = []
    for element in at.get("bidi_component"):
        if not element.proto.component_name.endswith("xinfang_svg_map"):
            continue
        meta, svg = unpack(element.proto.bytes)
        if meta.get("pins"):
            pins = html.escape(SERVED[meta["pins"]].decode("utf-8"), quote=True)
            end = svg.rindex("</svg>")
            svg = f'{svg[:end]}<metadata class="pins">{pins}</metadata>{svg[end:]}'
        maps.append(svg)
    return maps


def shown_frame(element):
    """A table as it reads on the page: a column of coloured labels (one-label lists) as text."""
    value = element.value
    frame = getattr(value, "data", value).copy()
    for column in frame.columns:
        if len(frame) and all(isinstance(v, (list, tuple, np.ndarray)) for v in frame[column]):
            frame[column] = ["、".join(map(str, list(v))) for v in frame[column]]
    return frame


def _board(at: AppTest):
    """The battle table (an HTML table) as its cells read."""
    return next(t for t in html_tables(at) if t.attrs["key"].endswith("battle_table"))


def test_map_page_counts_and_battle_table(app_db):
    at = run_app(**{"from": "2025-01", "to": "2025-03"})
    at.switch_page("pages/situation_map.py").run()
    assert not at.exception, at.exception
    assert titles(at)[0] == "挂图作战"
    board = _board(at)
    assert list(board["信访件编号"]) == ["A2", "C1"]
    assert list(board["状态"]) == ["黄", "绿"]
    texts = " ".join(markup(at))
    assert "示意" not in texts or "非法定界线" in texts
    assert at.get("download_button")


def _click(at: AppTest, code: str, key: str = "situation_map_all_all") -> None:
    """A click on the township's area of the (SVG) map, as the map reports it."""
    at.session_state[key] = {"picked": f"area:{code}"}
    at.run()
    assert not at.exception, at.exception


def markup(at: AppTest) -> list[str]:
    """The page's Markdown and HTML elements' sources."""
    return [md.value for md in at.markdown] + [e.proto.body for e in at.get("html")]


def _colour_total(at: AppTest) -> int:
    return sum(int(m) for body in markup(at) if "colour-count" in body
               for m in re.findall(r"cc-value'>([\d,]+) 件", body))


def test_map_township_selection_narrows_table(app_db):
    at = run_app("pages/situation_map.py", **{"from": "2025-01", "to": "2025-03"})
    _click(at, "100200001")
    assert "三镇" in at.info[0].value
    assert "没有重点案件" in " ".join(i.value for i in at.info) and not html_tables(at)
    assert _colour_total(at) == 0
    _click(at, "100100001")
    assert list(_board(at)["信访件编号"]) == ["A2", "C1"] and _colour_total(at) == 2


def test_sidebar_choice_clears_an_earlier_map_click(app_db):
    # Click 一镇 on the map, then choose 二镇 in the sidebar: the click is forgotten, the banner
    # goes, and the colour counts, the heading and the table agree.
    at = run_app(**{"from": "2025-01", "to": "2025-03"})
    at.switch_page("pages/situation_map.py").run()
    _click(at, "100100001")
    assert "一镇" in at.info[0].value
    choose(at, "f_county", "100100")
    choose(at, "f_township", "100100002")
    assert not at.exception, at.exception
    assert not any("已选中" in i.value for i in at.info)
    heading = next(h for h in headings(at) if "作战图" in h)
    assert "（0 件）" in heading and _colour_total(at) == 0 and not html_tables(at)
    choose(at, "f_township", "100100001")
    heading = next(h for h in headings(at) if "作战图" in h)
    assert "（2 件）" in heading and _colour_total(at) == 2 and len(_board(at)) == 2


def test_map_tooltips_are_plain_text(app_db):
    """The SVG map is well-formed markup with no script or link; its tooltips are attributes
    (shown as text). Switched to the zoomable map, the deck's properties are plain text."""
    import json
    from xml.etree import ElementTree

    from ui.map_svg import pin_marks

    _draw_boundaries(app_db)
    at = run_app("pages/situation_map.py", **{"from": "2025-01", "to": "2025-03"})
    (svg,) = svg_maps(at)
    root = ElementTree.fromstring(svg)
    tags = {element.tag.split("}")[-1] for element in root.iter()}
    assert tags <= {"svg", "title", "path", "circle", "text", "defs", "marker", "metadata"}, tags
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    tips = [e.get("data-tip") for e in root.iter() if e.get("data-tip")] + [
        tip for *_place, tip in pin_marks(svg)]
    assert any("一镇" in tip for tip in tips) and any("重点案件 A2" in tip for tip in tips)
    assert root.findall(".//{*}path[@data-pick='area:100100001']")
    next(t for t in at.toggle if t.label == "可缩放地图").set_value(True).run()
    assert not at.exception, at.exception
    assert not svg_maps(at)
    chart = at.get("deck_gl_json_chart")[0].proto
    spec = json.loads(chart.json)
    assert "<b>{title}</b>" in json.loads(chart.tooltip)["html"]
    for layer in spec["layers"]:
        data = layer.get("data")
        rows = data["features"] if isinstance(data, dict) else (data or [])
        for row in rows:
            props = row.get("properties", row)
            for value in props.values():
                assert "<" not in str(value), (layer["id"], value)


def test_zoomable_map_click_narrows_table(app_db):
    at = run_app("pages/situation_map.py", **{"from": "2025-01", "to": "2025-03"})
    next(t for t in at.toggle if t.label == "可缩放地图").set_value(True).run()
    at.session_state["situation_map_all_all_zoom"] = {"selection": {
        "indices": {"townships": [0]}, "objects": {"townships": [{"properties": {"code": "100200001"}}]}}}
    at.run()
    assert not at.exception, at.exception
    assert "三镇" in at.info[0].value and not html_tables(at)


def test_map_pin_click_picks_its_township(app_db):
    at = run_app("pages/situation_map.py", **{"from": "2025-01", "to": "2025-03"})
    at.session_state["situation_map_all_all"] = {"picked": "pin:A2"}
    at.run()
    assert not at.exception, at.exception
    assert "一镇" in at.info[0].value
    links = [link.proto.label for link in at.get("page_link")] + [md.value for md in at.markdown]
    assert any("打开案件档案：A2" in link for link in links)
    # Whatever else comes back from the browser is no choice at all.
    for junk in ("pin:NOPE", "area:", "zzz", "area:999999999"):
        at.session_state["situation_map_all_all"] = {"picked": junk}
        at.run()
        assert not at.exception, (junk, at.exception)
        assert not any("已选中" in i.value for i in at.info), junk


def _draw_boundaries(engine) -> None:
    """A square around each fixture township's centre and every case at its township's centre
    (the fixture has neither)."""
    import json

    from sqlalchemy import text

    from data.rollups import rebuild_all

    with engine.begin() as conn:
        conn.execute(text("UPDATE cases SET lon = (SELECT r.lon FROM regions r WHERE r.code = "
                          "cases.township_code), lat = (SELECT r.lat FROM regions r WHERE r.code = "
                          "cases.township_code)"))
        rows = conn.execute(text("SELECT code, lon, lat FROM regions WHERE level = 'township'")).all()
        for code, lon, lat in rows:
            square = [[lon - 0.005, lat - 0.005], [lon + 0.005, lat - 0.005],
                      [lon + 0.005, lat + 0.005], [lon - 0.005, lat + 0.005], [lon - 0.005, lat - 0.005]]
            conn.execute(text("UPDATE regions SET boundary = :b WHERE code = :c"),
                         {"b": json.dumps({"type": "Polygon", "coordinates": [square]}), "c": code})
    rebuild_all(engine)


def test_map_density_layer_is_named_for_what_it_draws(app_db):
    """The layer toggle says 案件密度 (dots per grid cell); switched on, the areas lose their
    colour and the legend gives each shade's count of cases per cell."""
    _draw_boundaries(app_db)
    at = run_app("pages/situation_map.py", **{"from": "2025-01", "to": "2025-03"})
    labels = [t.label for t in at.toggle]
    assert "案件密度" in labels and not any("热力" in label for label in labels)
    legend = next(body for body in markup(at) if "map-legend" in body)
    assert "区域颜色：各乡镇（街道）案件量（件）" in legend and "legend-band" in legend
    next(t for t in at.toggle if t.label == "案件密度").set_value(True).run()
    assert not at.exception, at.exception
    assert 'class="dot"' in svg_maps(at)[0]
    legend = next(body for body in markup(at) if "map-legend" in body)
    assert "案件密度" in legend and "区域颜色" not in legend and " 件" in legend
    shown = " ".join(markup(at) + [t.help or "" for t in at.toggle])
    assert "热力" not in shown


def test_bigscreen_grades_areas_by_overdue_open_cases(app_db):
    """The fixture as of 2025-03-31: 三镇 has one overdue open case (B1), 一镇 and 二镇 none."""
    _draw_boundaries(app_db)
    at = run_app(**{"from": "2025-01", "to": "2025-03"})
    at.switch_page("pages/bigscreen.py").run()
    assert not at.exception, at.exception
    legend = next(body for body in markup(at) if "map-legend" in body)
    assert "逾期未结信访件数" in legend
    assert re.findall(r"</span>([^<]*)</span>", legend) == ["0 件", "1 件"]


def test_map_as_it_stood_at_a_month_end(app_db):
    at = run_app("pages/situation_map.py", **{"from": "2025-01", "to": "2025-03"})
    choose(at, "map_as_of", choice(at, "map_as_of")["options"][1][0])  # the end of February 2025
    assert not at.exception
    board = _board(at).set_index("信访件编号")
    assert board.loc["C1", "状态"] == "正常" and board.loc["C1", "剩余天数"] == "10"


def test_first_start_fills_the_default_database_with_the_demo(tmp_path, monkeypatch):
    import data.accounts as accounts
    import data.database as database

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(database, "DEFAULT_SQLITE_PATH", tmp_path / "xinfang.db")
    monkeypatch.setattr(database, "SECRETS_PATH", tmp_path / "missing.toml")
    monkeypatch.setattr(accounts, "INITIAL_PASSWORDS_PATH", tmp_path / "initial-passwords.txt")
    at = run_app(user=None)
    # Nothing but the sign-in form before signing in.
    assert not at.warning and not at.markdown or all("信访总量" not in m.value for m in at.markdown)
    written = (tmp_path / "initial-passwords.txt").read_text(encoding="utf-8")
    assert oct((tmp_path / "initial-passwords.txt").stat().st_mode & 0o777) == "0o600"
    password = re.search(r"用户名 admin  初始密码 (\S+)", written).group(1)
    assert re.search(r"用户名 demo_leader  密码 \S+", written)
    assert re.search(r"用户名 demo_staff  密码 \S+", written)
    sign_in(at, "admin", password)
    assert titles(at)[0] == "修改密码"  # the first sign-in must change it
    boxes = {box.label: box for box in at.text_input}
    boxes["当前密码"].input(password)
    boxes["新密码"].input("Neues-Passwort-1")
    boxes["再次输入新密码"].input("Neues-Passwort-1")
    [b for b in at.button if b.label == "修改密码"][0].click()
    at.run()
    assert not at.exception, at.exception
    assert any("演示数据" in w.value for w in at.warning)
    assert (tmp_path / "xinfang.db").exists()
    total = card(at, "信访总量")
    assert int(total.split(" ")[0].replace(",", "")) > 2_000  # at least the months of the first start


def test_dispatch_page_for_a_chosen_month(app_db):
    at = run_app("pages/dispatch.py")
    choose(at, "dispatch_month", "2025-03")
    assert not at.exception, at.exception
    assert card(at, "月末存量") == "6 件 | 较月初减少 1 件"
    assert card(at, "新增（增量）").startswith("2 件")
    assert card(at, "逾期未结").startswith("1 件")
    # The meeting's parts in tabs: only the open one is built (the units' progress first).
    assert [t.label for t in at.tabs] == ["责任单位办理进度", "逾期未结清单", "重点案件", "新增、办结与存量走势"]
    assert not at.dataframe and len(html_tables(at)) == 1 and not _charts(at)
    [units] = html_tables(at)
    assert list(units["责任单位"])[:2] == ["三镇", "一镇"]
    # A unit with cases overdue at the month's end carries a red label, the others none.
    assert list(units["提示"]) == ["有逾期" if int(n) else "" for n in units["逾期未结"]]
    assert sum(int(n) for n in units["逾期未结"]) == 1
    assert "<span class='tag' style='background:#c0392b'>有逾期</span>" in "".join(
        e.proto.bytes.decode("utf-8") for e in at.get("bidi_component"))
    at.session_state["dispatch_section"] = "逾期未结清单"
    at.run()
    assert len(at.dataframe) == 1
    overdue = at.dataframe[0].value
    assert list(overdue["信访件编号"]) == ["B1"]
    at.session_state["dispatch_section"] = "新增、办结与存量走势"
    at.run()
    assert not at.dataframe and len(_charts(at)) == 2
    assert at.get("download_button")


def test_satisfaction_page_and_drill_down(app_db):
    at = run_app("pages/satisfaction.py", **{"from": "2025-01", "to": "2025-03"})
    assert card(at, "2025年1月满意率") == "66.7% | 3 件评价，区间 20.8%–93.9%"
    assert card(at, "全期满意率").startswith("66.7%")
    # Only the open tab's table is drawn: by county, then (its tab clicked) by township.
    assert [t.label for t in at.tabs] == ["按县（市、区）", "按乡镇（街道）", "按内容分类", "按信访形式",
                                        "按评价方式"]
    assert not at.dataframe and len(html_tables(at)) == 1 and "县（市、区）" in html_tables(at)[0].columns
    open_expander(at, "sat_detail_open")  # the dissatisfied cases: built once asked for
    assert len(at.dataframe) == 1 and len(html_tables(at)) == 1
    at.session_state["sat_dimension"] = "按乡镇（街道）"
    choose(at, "sat_min", "1")
    [towns] = html_tables(at)
    # Rank 1 is the best: 三镇 (0 of 1 satisfied) is last.
    assert towns.iloc[-1]["乡镇（街道）"] == "三镇" and towns.iloc[-1]["排名"] == "3"
    assert towns.iloc[0]["排名"] == "1" and towns.iloc[0]["满意率"] == "100.0%"
    assert set(towns["说明"]) == {""}  # with 1 evaluation enough, all are ranked
    choose(at, "sat_min", "2")
    [towns] = html_tables(at)
    # With 2 needed, the towns with a single evaluation are said to be unranked, in words.
    unranked = towns[towns["排名"] == ""]
    assert len(unranked) and set(unranked["说明"]) == {"样本不足，不排名"}
    assert set(towns.loc[towns["排名"] != "", "说明"]) <= {""}
    choose(at, "sat_min", "1")
    drill = at.dataframe[-1].value
    assert list(drill["信访件编号"]) == ["B2"]
    choose(at, "sat_drill_dim", "township")
    choose(at, "sat_drill_value", "100100001")
    assert not at.exception
    assert "没有不满意件" in at.info[-1].value  # a sentence, not an empty table


def test_filters_survive_reruns_and_reach_the_url(app_db):
    at = run_app(**{"from": "2025-01", "to": "2025-03"})
    choose(at, "f_category", "城乡建设")
    assert notes(at)[0].startswith("2025年1月至2025年3月")
    assert "城乡建设类" in notes(at)[0]
    params = {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert params["from"] == "2025-01" and params["category"] == "城乡建设"
    choose(at, "f_from", "2025-02")
    assert notes(at)[0].startswith("2025年2月至2025年3月")


def _ranking(at: AppTest):
    """The ranking (an HTML table) as its cells read."""
    return next(t for t in html_tables(at) if t.attrs["key"].endswith("rank_table"))


def test_ranking_page_with_period_and_weight_change(app_db):
    at = run_app("pages/ranking.py")
    choose(at, "rank_kind", "quarter")
    choose(at, "rank_period", "2025-Q1")
    open_expander(at, "rank_scheme_open")
    at.number_input(key="r_cases").set_value(1).run()
    at.number_input(key="r_min").set_value(1).run()
    assert not at.exception, at.exception
    table = _ranking(at)
    assert list(table["乡镇（街道）"]) == ["二镇", "一镇", "三镇"]
    assert list(table["通报候选"]) == ["", "是", "是"]
    assert any("进京访 1 件" in item for item in items(at))
    # Under the candidates, one of them chosen, a button opens the links to the cases behind its
    # figures.
    assert sorted(text for _value, text in choice(at, "reasons")["options"]) == ["一镇", "三镇"]
    assert not at.get("page_link") or not any("件" in link.proto.label for link in at.get("page_link"))
    choose(at, "reasons", choice(at, "reasons")["value"])
    at.button(key="reasons_open").click().run()
    assert not at.exception, at.exception
    links = [link.proto.label for link in at.get("page_link")] + [md.value for md in at.markdown]
    assert any("本期信访件" in link or "失分" in link for link in links), links
    # All the weight on satisfaction: 一镇 and 二镇 tie at 100 before deductions; 进京 costs 一镇 5.
    for key in ("timely_accept", "ontime_close", "participation", "repeat", "key_clear"):
        at.number_input(key=f"w_{key}").set_value(0.0).run()
    table = _ranking(at)
    assert not at.exception
    assert table.iloc[0]["乡镇（街道）"] == "二镇" and table.iloc[0]["综合得分"] == "100.00"
    assert "满意率100%" in at.info[0].value
    assert len(at.get("download_button")) == 2


def test_ranking_bottom_view_worst_first(app_db):
    at = run_app("pages/ranking.py")
    choose(at, "rank_kind", "quarter")
    choose(at, "rank_period", "2025-Q1")
    open_expander(at, "rank_scheme_open")
    at.number_input(key="r_cases").set_value(1).run()
    choose(at, "rank_view", "bottom")
    choose(at, "rank_n", "2")
    assert not at.exception, at.exception
    table = _ranking(at)
    assert list(table["乡镇（街道）"]) == ["三镇", "一镇"] and list(table["排名"]) == ["3", "2"]
    assert any("第 1 名为最好" in c for c in notes(at))
    # Beside the candidates: the indicators resting on few cases.
    shown = items(at)
    assert any("样本少" in text and "积案化解率仅 1/2 件" in text for text in shown)


def test_bigscreen_shows_map_counts_and_urgent_cases(app_db):
    at = run_app(**{"from": "2025-01", "to": "2025-03"})
    at.switch_page("pages/bigscreen.py").run()
    assert not at.exception, at.exception
    texts = " ".join(markup(at))
    assert "最紧急的重点案件" in texts and "一镇" in texts and "副市长 张某某" in texts
    assert len(svg_maps(at)) == 1 and not at.dataframe
    # The sidebar is hidden on the projector: the page has its own way back.
    assert "退出大屏" in [link.proto.label for link in at.get("page_link")]



def test_bigscreen_draws_at_the_window_size_already_reported(app_db):
    """A size the browser reported on an earlier visit: the map is drawn at it at once, and the
    size goes to the browser's script, which reports only a different one (no second drawing)."""
    from ui.map_svg import unpack
    from ui.viewport import SEEN_KEY, _valid

    at = run_app(**{"from": "2025-01", "to": "2025-03"})
    at.session_state[SEEN_KEY] = (1280, 720)
    at.switch_page("pages/bigscreen.py").run()
    assert not at.exception, at.exception
    [svg_map] = [e for e in at.get("bidi_component")
                 if e.proto.component_name.endswith("xinfang_svg_map")]
    assert unpack(svg_map.proto.bytes)[0]["height"] == 720 - 157 - 95
    [report] = [e for e in at.get("bidi_component")
                if e.proto.component_name.endswith("xinfang_window_size")]
    assert json.loads(report.proto.json) == [1280, 720]
    # Whatever else the browser sends is not a size.
    assert _valid([1280, 720]) == (1280, 720)
    for junk in (None, "1280x720", [1280], [0, 720], ["a", 1], {"w": 1}, [1, 2, 3]):
        assert _valid(junk) is None

def _alerts_database(tmp_path, monkeypatch):
    """A township's weekly cases and then a burst of 8 of one kind: one 告警 on the day."""
    from data.database import write_setting
    from tests.test_alerts import DAY, burst, load, weekly

    url = f"sqlite:///{tmp_path / 'alerts.db'}"
    engine = make_engine(url)
    migrate(engine)
    load(engine, weekly("F", "100100001", "环境保护") + burst("B", "100100001", "环境保护", 8))
    add_test_accounts(engine)
    with engine.begin() as conn:
        write_setting(conn, "as_of", DAY.isoformat())
    monkeypatch.setenv("DATABASE_URL", url)
    return engine


def test_alerts_page_lists_and_drills_down(tmp_path, monkeypatch):
    from data.database import write_setting

    engine = _alerts_database(tmp_path, monkeypatch)
    at = run_app("pages/alerts.py")
    [table] = html_tables(at)
    first = table.iloc[0]
    assert (first["级别"], first["类型"], first["地点"], first["问题"], first["实际"]) == (
        "告警", "同类聚集", "一镇", "环境保护", "8")
    assert card(at, "告警") == "1 条 | "
    # On the map: the township marked in the alert's colour, its alert as the marker's tooltip.
    from xml.etree import ElementTree

    marks = [e for e in ElementTree.fromstring(svg_maps(at)[0]).iter() if e.get("class") == "pin red"]
    assert len(marks) == 1 and "同类聚集" in marks[0].get("data-tip")
    assert not at.dataframe  # the alert's cases: built once asked for
    open_expander(at, "alert_cases_open")
    assert len(at.dataframe[0].value) == 8 and "张三丰" not in at.dataframe[0].value.to_string()
    assert not any("对照基线尚不完整" in i.value for i in at.info)  # a complete database
    assert not at.number_input  # the thresholds' inputs are built only once asked for
    open_expander(at, "alert_thresholds_open")
    at.number_input(key="a_min").set_value(9).run()   # a stricter minimum silences it
    assert not at.exception and card(at, "告警") == "0 条 | "
    at.session_state["alert_thresholds_open"] = False  # closed again: the choice stays
    at.run()
    assert not at.number_input and card(at, "告警") == "0 条 | "
    assert any("预警阈值已调整" in c for c in notes(at))
    # While a first start's earlier months are still being written, the page says why the
    # clusters are too many.
    with engine.begin() as conn:
        write_setting(conn, "demo_pending_before", "2025-01-01")
    from ui.database import clear_cached_queries

    clear_cached_queries()  # as a new server would: the database's facts read afresh
    at = run_app("pages/alerts.py")
    assert any("对照基线尚不完整" in i.value for i in at.info)


def test_an_alert_row_opens_its_cases(tmp_path, monkeypatch):
    from tests.test_drill_pages import pick_row

    _alerts_database(tmp_path, monkeypatch)
    at = run_app()
    at.switch_page("pages/alerts.py").run()
    pick_row(at, "alert_table", 0)  # the burst: its 8 cases in 综合查询
    assert titles(at)[0] == "综合查询"
    assert "共 8 件" in headings(at)


def test_import_page_validates_then_writes(tmp_path, monkeypatch):
    from sqlalchemy import text

    from tests.test_import import ROWS, places_database, xlsx

    url, engine = places_database(tmp_path, "import.db")
    add_admin(engine)
    monkeypatch.setenv("DATABASE_URL", url)
    broken = [list(r) for r in ROWS] + [["X-009", "2025-13-01", "来访", 1, "火星镇", "民政", "", "", "",
                                         "否", "", "", "", ""]]
    at = run_app("pages/data_import.py")
    at.get("file_uploader")[0].set_value(("cases.xlsx", xlsx(broken), "application/octet-stream")).run()
    assert not at.exception, at.exception
    assert "发现 2 个问题，涉及 1 行" in at.error[0].value
    problems = at.dataframe[0].value
    assert list(problems["行号"]) == [7, 7] and "火星镇" in at.warning[0].value
    assert not [b for b in at.button if b.key == "do_import"]
    at.checkbox(key="skip_bad_rows").check().run()
    assert "3 件可以导入" in at.info[-1].value
    at.button(key="do_import").click().run()
    assert "新增 3 件" in at.success[-1].value
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM cases")).scalar() == 3


def test_import_page_removes_demo_in_one_step(tmp_path, monkeypatch):
    from data.demo import generate

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    generate(make_engine(url), profile="county", cases=300, seed=2)
    add_admin(make_engine(url))
    monkeypatch.setenv("DATABASE_URL", url)
    at = run_app("pages/data_import.py")
    assert any("演示数据" in w.value for w in at.warning)
    at.checkbox(key="confirm_remove_demo").check().run()
    at.button(key="remove_demo").click().run()
    assert "已清除 300 件演示信访件" in at.success[0].value
    at.run()
    assert not any("演示数据" in w.value for w in at.warning)


def test_import_page_boundaries_and_lists(tmp_path, monkeypatch):
    import json

    from sqlalchemy import text

    from tests.test_import import places_database

    url, engine = places_database(tmp_path, "geo.db")
    add_admin(engine)
    monkeypatch.setenv("DATABASE_URL", url)
    square = [[103.6, 25.3], [103.7, 25.3], [103.7, 25.4], [103.6, 25.4], [103.6, 25.3]]
    geojson = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": n}, "geometry": {"type": "Polygon",
                                                                   "coordinates": [square]}}
        for n in ("一镇", "二镇")]}
    at = run_app("pages/data_import.py")
    at.session_state["import_section"] = "乡镇（街道）边界"  # the tab clicked: only it is built
    at.run().get("file_uploader")[0].set_value(("t.geojson", json.dumps(geojson).encode(),
                                         "application/json")).run()
    assert not at.exception, at.exception
    assert "2 个乡镇（街道）的边界可以导入" in at.info[-1].value
    assert "三镇" in " ".join(w.value for w in at.warning)
    at.button(key="do_boundaries").click().run()
    assert "已更新 2 个" in at.success[-1].value
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM regions WHERE boundary IS NOT NULL")).scalar() == 2
    at.session_state["import_section"] = "满意度评价"
    at.run().get("file_uploader")[0].set_value(("e.csv", "信访件编号,评价日期,评价结果\nNOPE,2025-01-01,满意\n"
                                         .encode("gbk"), "text/csv")).run()
    assert any("数据库中没有这个信访件" in str(df.value) for df in at.dataframe)


def test_import_page_township_and_village_list(tmp_path, monkeypatch):
    from sqlalchemy import text

    from tests.test_import import REGION_HEADER, REGION_ROWS, places_database, xlsx

    url, engine = places_database(tmp_path, "regions.db")
    add_admin(engine)
    monkeypatch.setenv("DATABASE_URL", url)
    at = run_app("pages/data_import.py")
    bad = REGION_ROWS + [["100100003", "重复街道", "街道", "", "", "", ""]]
    at.session_state["import_section"] = "乡镇和村名单"
    at.run().get("file_uploader")[0].set_value(("r.xlsx", xlsx(bad, header=REGION_HEADER),
                                         "application/octet-stream")).run()
    assert not at.exception, at.exception
    assert "发现 1 个问题" in at.error[0].value
    assert "第 8 行「区划代码」列：区划代码与第 5 行重复" in str(at.dataframe[-1].value)
    assert not [b for b in at.button if b.key == "do_regions"]
    at.get("file_uploader")[0].set_value(("r.xlsx", xlsx(REGION_ROWS, header=REGION_HEADER),
                                         "application/octet-stream")).run()
    assert "新增乡镇（街道）1 个、村（社区）2 个" in at.info[-1].value
    assert "二镇" in at.warning[-1].value
    at.button(key="do_regions").click().run()
    assert "导入完成" in at.success[-1].value
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM units WHERE kind = 'township'")).scalar() == 4


def test_ranking_page_issues_and_lists_documents(app_db):
    at = run_app("pages/ranking.py")
    choose(at, "rank_kind", "month")
    choose(at, "rank_period", "2025-03")
    open_expander(at, "issue_open")
    at.text_input(key="issue_number").set_value("测信〔2025〕9号").run()
    at.text_input(key="issue_by").set_value("").run()
    at.button(key="issue_button").click().run()
    assert not at.exception, at.exception
    assert any("请填写签发人" in e.value for e in at.error)
    at.text_input(key="issue_by").set_value("=王主任").run()
    at.radio(key="issue_kind").set_value("report").run()
    at.button(key="issue_button").click().run()
    assert not at.exception, at.exception
    texts = [t.value for t in at.text]
    assert any(t.startswith("关于测试市2025年3月信访工作情况的分析报告　测信〔2025〕9号") for t in texts)
    assert any("签发人 =王主任" in t for t in texts)
    assert len(at.get("download_button")) == 3  # ranking, circular draft, the issued report
    at.text_input(key="issue_by").set_value("李").run()
    at.button(key="issue_button").click().run()
    assert any("已用于" in e.value for e in at.error)
def test_search_page_from_a_link_opens_the_case_file(app_db):
    at = run_app("pages/search.py", **{"from": "2025-01", "to": "2025-03", "status": "逾期"})
    assert "共 1 件" in headings(at)
    choose(at, "s_case", "B1")
    assert not at.exception
    assert "案件档案：B1" in [h.value for h in at.header]
    assert any(s.startswith("信访人画像") for s in headings(at))
    assert "13912345678" not in str([t.value for t in at.text_input])  # masked until asked
    at.text_input(key="s_q").input("张某某").run()
    assert "共 0 件" in headings(at)  # A2 is not overdue
    choose(at, "s_status", "")
    assert "共 1 件" in headings(at)
    assert at.query_params["q"] in (["张某某"], "张某某")


CHART_WRAPPER = r"^<div class='xf-chart'>(<p class='xf-chart-title'>.*?</p>)?|</div>$"  # ui.charts


def _charts(at: AppTest) -> list[ElementTree.Element]:
    """Every chart on the page: its SVG, parsed."""
    return [ElementTree.fromstring(re.sub(CHART_WRAPPER, "", body)) for body in chart_markup(at)]


def _tips(svg: ElementTree.Element) -> list[dict[str, str]]:
    """The hover texts of a chart's marks, each as {title: value}."""
    return [dict(line.split("：", 1) for line in title.text.split("\n"))
            for title in svg.iter("{http://www.w3.org/2000/svg}title")]


def test_map_and_charts_drawn_again_only_for_other_figures(app_db, monkeypatch):
    """When the queries are read afresh (every few minutes; here their cache is emptied as that
    limit does) and return the same figures, neither the map nor the charts are drawn again; a
    change in the figures (a key case's progress) is drawn."""
    from sqlalchemy import text

    from ui import charts, database, situation_view, trends

    charts._cached_svg.clear()
    charts._kept_svg.clear()
    database._drawn_from.clear()
    maps, volumes = [], []
    build_svg, volume_chart = situation_view.build_svg, trends.volume_chart
    monkeypatch.setattr(situation_view, "build_svg", lambda *a: maps.append(1) or build_svg(*a))
    monkeypatch.setattr(trends, "volume_chart",
                        lambda frame: volumes.append(1) or volume_chart(frame))
    period = {"from": "2025-01", "to": "2025-03"}
    situation, overview = run_app("pages/situation_map.py", **period), run_app(**period)
    assert (maps, volumes) == ([1], [1])
    database.clear_cached_queries()  # as when the queries' few minutes are over
    situation.run()
    overview.run()
    assert not situation.exception and not overview.exception
    assert (maps, volumes) == ([1], [1]) and svg_maps(situation) and len(_charts(overview)) == 2
    with app_db.begin() as conn:
        conn.execute(text("UPDATE key_cases SET progress_pct = 77 WHERE cleared_on IS NULL"))
    database.clear_cached_queries()
    situation.run()
    assert maps == [1, 1]
    assert not situation.exception and svg_maps(situation)


def test_charts_carry_the_figures_and_are_built_once_per_data(app_db, monkeypatch):
    """The overview's charts as sent: drawn on the server (nothing for the browser to compute or
    fetch), the monthly counts of the fixture in the hover texts, the target line; the chart is
    built again only for other data (another scope's figures)."""
    from ui import trends

    built = []
    volume_chart = trends.volume_chart
    monkeypatch.setattr(trends, "volume_chart",
                        lambda frame: built.append(len(frame)) or volume_chart(frame))
    at = run_app(**{"from": "2025-01", "to": "2025-03"})
    charts = _charts(at)
    assert len(charts) == 2
    volume, rates = charts
    markup = "".join(chart_markup(at))
    assert "<script" not in markup and "http" not in markup.replace("http://www.w3.org/", "")
    by_month = {tip["月份"]: tip["本期件数"] for tip in _tips(volume)}
    # Received in January: A1 A2 A6 B1 B2 C1 C2 C3; February: A4 B3; March: A3 A5.
    assert by_month == {"2025-01": "8", "2025-02": "2", "2025-03": "2"}
    texts = [t.text for t in rates.iter("{http://www.w3.org/2000/svg}text")]
    assert "目标 95.0%" in texts
    # Every rate point's hover text gives its numerator and denominator.
    assert {"月份", "指标", "数值（%）", "分子 / 分母（件）", "说明"} <= set(_tips(rates)[0])
    at.run()
    assert len(_charts(at)) == 2 and built == [3]  # the first run's chart, kept
    # Another account's scope has other figures: its own chart.
    other = run_app(user="sanzhen_viewer", **{"from": "2025-01", "to": "2025-03"})
    shown = {tip["月份"]: tip["本期件数"] for tip in _tips(_charts(other)[0])}
    assert {m: n for m, n in shown.items() if n != "0"} == {"2025-01": "2", "2025-02": "1"}  # B1 B2; B3

