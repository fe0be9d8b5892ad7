"""The situation map: the colour rule at its boundaries, the battle table, the offline deck."""
import json
import re
from datetime import date, timedelta

import pandas as pd
import pytest


from queries.situation_map import (
    DUE_SOON_DAYS, as_of_month_end, key_case_board, supervision_colour, township_areas,
    township_map_figures,
)
from tests.fixture_cases import AS_OF
from ui.map_deck import county_features, pin_records, situation_deck, township_features, view_for
from tests.scoping import all_filters, all_months
from queries.scope import EVERYTHING

DAY = date(2025, 6, 30)
LISTED = date(2025, 1, 1)


def colour(as_of=DAY, resolve_by=date(2025, 12, 31), progress=50, cleared=None, resolved=None,
           deadline=None, closed=None):
    return supervision_colour(as_of, LISTED, resolve_by, progress, cleared, resolved, deadline, closed)


def test_green_when_crossed_off_or_resolved_by_the_day():
    assert colour(cleared=DAY) == "green"
    assert colour(resolved=DAY, resolve_by=DAY - timedelta(days=30)) == "green"
    assert colour(cleared=DAY + timedelta(days=1), progress=50) != "green"  # crossed off later


def test_red_past_resolve_by_or_case_deadline():
    assert colour(resolve_by=DAY - timedelta(days=1)) == "red"
    assert colour(resolve_by=DAY) == "blue"  # the last day itself is not yet overdue
    assert colour(deadline=DAY - timedelta(days=1)) == "red"
    assert colour(deadline=DAY - timedelta(days=1), closed=DAY - timedelta(days=2)) != "red"


def test_blue_within_seven_days():
    assert colour(resolve_by=DAY + timedelta(days=DUE_SOON_DAYS), progress=0) == "blue"
    assert colour(resolve_by=DAY + timedelta(days=DUE_SOON_DAYS + 1), progress=99) == "grey"


def test_yellow_behind_schedule_with_tolerance():
    # 2025-01-01 .. 2025-12-31: on 2025-06-30, 180 of 364 days used = 49.45%.
    assert colour(progress=40) == "grey"    # 9.45 points behind: within tolerance
    assert colour(progress=39) == "yellow"  # 10.45 points behind
    assert colour(progress=60) == "grey"


def test_board_on_fixture(fixture_engine):
    period = all_months("2025-01", "2025-03", AS_OF)
    board = key_case_board(fixture_engine, period)
    assert list(board["case_no"]) == ["A2", "C1"]
    a2 = board.iloc[0]
    # Listed 2025-01-20, resolve by 2025-04-20: 70 of 90 days used (77.8%), progress 60: yellow.
    assert a2["colour"] == "yellow" and a2["days_left"] == 20 and a2["leader"] == "副市长 张某某"
    assert board.iloc[1]["colour"] == "green" and board.iloc[1]["cleared_on"] == date(2025, 3, 5)
    # As it stood at the end of February: C1 not yet crossed off, 10 days left, on schedule.
    feb = key_case_board(fixture_engine, as_of_month_end(period, date(2025, 2, 28)))
    c1 = feb.set_index("case_no").loc["C1"]
    assert c1["colour"] == "grey" and pd.isna(c1["cleared_on"]) and c1["days_left"] == 10
    # Its stage as of that day too: crossed off only on 03-05, so not 已销号 on 02-28.
    assert c1["stage"] == "待验收" and board.iloc[1]["stage"] == "已销号"
    assert not ((feb["stage"] == "已销号") & feb["cleared_on"].isna()).any()


def test_township_figures(fixture_engine):
    period = all_months("2025-01", "2025-03", AS_OF)
    frame = township_map_figures(fixture_engine, period).set_index("township_code")
    assert frame.loc["100200001", "case_count"] == 3
    assert frame.loc["100200001", "overdue_count"] == 1
    assert frame.loc["100100001", "per_10k"] == pytest.approx(4 * 10_000 / 120_000)


def _map_inputs(summary: str):
    areas = pd.DataFrame([{
        "code": "100100001", "name": "一镇", "county_code": "100100", "lon": 103.7, "lat": 25.4,
        "population": 1000, "boundary_schematic": True,
        "boundary": json.dumps({"type": "Polygon", "coordinates": [[[103.6, 25.3], [103.8, 25.3],
                                                                   [103.8, 25.5], [103.6, 25.3]]]}),
    }])
    figures = pd.DataFrame([{"township_code": "100100001", "case_count": 5, "person_count": 6,
                             "open_count": 1, "overdue_count": 0, "satisfaction_num": 1,
                             "satisfaction_den": 1, "satisfaction_pct": 100.0, "per_10k": 50.0}])
    board = pd.DataFrame([{
        "case_no": "X<1>", "category": "城乡建设", "township_code": "100100001", "leader": "<b>王</b>",
        "unit_name": "一镇", "resolve_by": date(2025, 7, 1), "days_left": 3, "progress_pct": 50,
        "stage": "化解中", "cleared_on": None, "summary": summary, "lon": 103.7, "lat": 25.4,
        "colour": "blue"}])
    geo, _ = township_features(areas, figures, "case_count", {"100100": "甲县"})
    return (areas, geo, county_features(areas.assign(name="甲县")),
            [{"name": "一镇<script>", "lon": 103.7, "lat": 25.4}],
            pd.DataFrame({"lon": [103.7], "lat": [25.4], "case_count": [3]}),
            pin_records(board, {"100100001": "一镇"}))


def _deck_json(summary: str) -> str:
    areas, geo, counties, labels, density, pins = _map_inputs(summary)
    return situation_deck(geo, counties, labels, density, pins, view_for(areas), True).to_json()


def test_svg_map_is_offline_fitted_and_escapes_case_text():
    from xml.etree import ElementTree

    from ui.map_deck import bounds_of
    from ui.map_svg import Projection, pin_marks, situation_svg, tooltip_text

    areas, geo, counties, labels, density, pins = _map_inputs("<img src=x onerror=alert(1)>\n\n*b*")
    projection = Projection.fit(bounds_of(areas), 800, 500)
    svg = situation_svg(geo, counties, labels, density, pins, projection)
    assert "\n" not in svg  # one line of markup, whatever the case text holds
    root = ElementTree.fromstring(svg)  # well-formed: no text broke out of its attribute
    tags = [e.tag.split("}")[-1] for e in root.iter()]
    assert set(tags) == {"svg", "title", "path", "circle", "text", "defs", "marker", "metadata"}
    # Layers bottom first: areas, outlines, density, pins (a circle defined once per colour, set at
    # each place of a path per colour; their places), names on top.
    classes = [e.get("class") for e in root.iter() if e.get("class")]
    assert classes == ["area", "outline", "dot", "pin blue", "dots blue", "pins", "label"]
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    assert "<img" not in svg and "<script" not in svg and "<b>" not in svg
    (x, y, radius, colour, key, tip), = pin_marks(svg)
    assert json.loads(next(e for e in root.iter() if e.get("class") == "pins").text)[0][4] == key
    assert (colour, radius) == ("blue", 7)
    pin = next(e for e in root.iter() if e.get("class") == "pin blue")
    assert pin.get("r") == "7"
    dots = next(e for e in root.iter() if e.get("class") == "dots blue")
    marker = next(e for e in root.iter() if e.tag.endswith("marker"))
    assert dots.get("style") == f"marker:url(#{marker.get('id')})"
    assert dots.get("d") == f"M{x:.1f} {y:.1f}"  # the pin's place, the circle set there
    assert key == "X<1>"  # as text, after the markup's escapes
    assert tip.splitlines()[0] == "重点案件 X＜1＞（蓝）"
    assert "摘要：＜img src=x onerror=alert(1)＞" in tip
    assert next(e for e in root.iter() if e.get("class") == "label").text == "一镇<script>"
    area = next(e for e in root.iter() if e.get("class") == "area")
    assert area.get("data-pick") == "area:100100001"
    assert tooltip_text({"title": "甲", "line1": "", "line2": "乙"}) == "甲\n乙"

    # The area fills the box less its margin, centred, inside the box.
    xs = [float(v) for v in re.findall(r"[ML]([\d.]+) ", area.get("d"))]
    ys = [float(v) for v in re.findall(r"[ML][\d.]+ ([\d.]+)", area.get("d"))]
    assert min(xs) >= 0 and max(xs) <= 800 and min(ys) >= 0 and max(ys) <= 500
    assert max(ys) - min(ys) == pytest.approx(500 * 0.92, abs=1) or \
        max(xs) - min(xs) == pytest.approx(800 * 0.92, abs=1)
    assert (min(xs) + max(xs)) / 2 == pytest.approx(400, abs=1)
    # The view box is the areas and their margin: on the page they fill the height given.
    x, y, width, height = (float(v) for v in root.get("viewBox").split())
    assert x <= min(xs) and x + width >= max(xs) and y <= min(ys) and y + height >= max(ys)
    assert height == pytest.approx(500, abs=1) or width == pytest.approx(800, abs=1)
    assert width * height < 0.95 * 800 * 500


def test_svg_map_sends_the_pins_beside_the_svg():
    """The pins' places and tooltips are not sent inside the SVG (the browser fetches them as JSON
    when the mouse comes over the map): the SVG sent has none, the JSON holds each pin, hostile
    text as text, and nothing else changes."""
    from ui.map_deck import bounds_of
    from ui.map_svg import Projection, pack, pin_marks, pins_url, situation_svg, split_pins, unpack

    areas, geo, counties, labels, density, pins = _map_inputs("</metadata><script>x</script>\n甲")
    svg = situation_svg(geo, counties, labels, density, pins, Projection.fit(bounds_of(areas), 800,
                                                                             500))
    shown, sent = split_pins(svg)
    assert "metadata" not in shown and "<script" not in shown
    assert shown.count("<path class=\"dots ") == 1 and shown.endswith("</svg>")
    assert json.loads(sent) == pin_marks(svg)
    assert "摘要：＜/metadata＞＜script＞x＜/script＞" in json.loads(sent)[0][5]
    meta, again = unpack(pack({"height": 500, "pins": "/media/x.json"}, shown))
    assert meta == {"height": 500, "pins": "/media/x.json"} and again == shown
    assert pins_url(sent, "m") is None  # outside a server there is no store: the map without them
    assert split_pins(labels_only := situation_svg(geo, counties, labels, density, [], Projection.fit(
        bounds_of(areas), 800, 500))) == (labels_only, "")


def test_deck_is_offline_and_tooltips_are_plain_text():
    spec = _deck_json("<img src=x onerror=alert(1)>")
    data = json.loads(spec)
    ids = [layer["id"] for layer in data["layers"]]
    # Names drawn after the pins: never hidden under them.
    assert ids == ["townships", "counties", "case_density", "key_cases", "township_names"]
    assert "http://" not in spec and "https://" not in spec and "mapbox://" not in spec
    # pydeck leaves a placeholder style that Streamlit does not fetch when no provider is set.
    assert data.get("mapProvider") in (None, "") and data.get("mapStyle") in (None, "__MAP_STYLE__")
    layers = {layer["id"]: layer for layer in data["layers"]}
    pin = layers["key_cases"]["data"][0]
    area = layers["townships"]["data"]["features"][0]["properties"]
    # The markup lives in the deck's template; every property is plain text without '<'.
    assert "<img" not in spec and "<b>王" not in spec
    assert pin["title"] == "重点案件 X＜1＞（蓝）" and "＜b＞王＜/b＞" in pin["line2"]
    assert pin["line5"].startswith("摘要：＜img src=x onerror=alert(1)＞")
    assert area["title"] == "甲县 一镇（示意范围）" and area["line1"] == "案件量：5 件"
    for props in (pin, area):
        assert not any("<" in str(v) for v in props.values())
    text_layer = next(layer for layer in data["layers"] if layer["id"] == "township_names")
    assert text_layer["characterSet"] == "auto"
    assert "Noto Sans CJK SC" in text_layer["fontFamily"]


def test_bins_repeat_no_value_and_classes_follow_the_ramp():
    from ui.map_deck import class_colours, fill_for, metric_bins

    # One township with a value (the sidebar named it): no cut points, not "103 件" four times.
    assert metric_bins(pd.Series([103.0, None, None])) == []
    assert metric_bins(pd.Series([1.0, 1.0, 1.0, 2.0, 5.0])) == sorted(set(metric_bins(
        pd.Series([1.0, 1.0, 1.0, 2.0, 5.0]))))
    bins = [10.0, 20.0]
    colours = class_colours(bins, False)
    assert len(colours) == 3 and fill_for(25.0, bins, False) == colours[2]


def test_count_classes_grade_a_mostly_zero_count():
    """Overdue open cases per township (the 大屏's areas): 108 townships with none, 22 with one,
    6 with two, one with three -- four classes, one per count, not 0 against 1-3."""
    from ui.map_deck import band_labels, class_colours, fill_for, metric_bins

    overdue = pd.Series([0] * 108 + [1] * 22 + [2] * 6 + [3], dtype=float)
    assert metric_bins(overdue) == [0.0, 1.0]  # quintiles alone: two classes
    bins = metric_bins(overdue, whole=True)
    assert bins == [0.0, 1.0, 2.0]
    assert band_labels("overdue_count", bins, overdue) == ["0 件", "1 件", "2 件", "3 件"]
    colours = class_colours(bins, False)
    assert len(set(colours)) == 4
    assert [fill_for(v, bins, False) for v in (0, 1, 2, 3)] == colours
    # Many distinct counts: zero alone, four ranges of whole numbers over the rest (quartiles).
    spread = pd.Series([0, 0, *range(1, 101)], dtype=float)
    bins = metric_bins(spread, whole=True)
    assert bins == [0.0, 25.0, 50.0, 75.0]
    assert band_labels("overdue_count", bins, spread) == [
        "0 件", "1–25 件", "26–50 件", "51–75 件", "76–100 件"]
    # No zero: quintiles cut at whole numbers, every class a range that is never empty.
    cases = pd.Series([5, 5, 6, 6, 6, 7, 7, 10, 10, 13, 14, 15, 16, 23, 24, 1047], dtype=float)
    bins = metric_bins(cases, whole=True)
    assert bins == [6.0, 7.0, 13.0, 16.0]
    assert band_labels("case_count", bins, cases) == [
        "5–6 件", "7 件", "8–13 件", "14–16 件", "17–1,047 件"]
    assert metric_bins(pd.Series([3.0, 3.0, None]), whole=True) == []
    assert band_labels("overdue_count", [], pd.Series([3.0, 3.0, None])) == ["3 件"]
    rates = pd.Series([88.2, 91.5, 95.0, 99.1, 97.3])
    labels = band_labels("satisfaction_pct", metric_bins(rates), rates)
    assert labels[0].startswith("88.2%–") and labels[-1].endswith("–99.1%") and len(labels) == 5


def test_legend_bands_match_the_drawn_areas():
    from ui.map_deck import AREA_ALPHA, NO_DATA, legend_bands, metric_bins
    from ui.situation_view import legend_html

    values = pd.Series([0, 0, 1, 2, None], dtype=float)
    bins = metric_bins(values, whole=True)
    bands = legend_bands("overdue_count", bins, values)
    assert [label for _c, label in bands] == ["0 件", "1 件", "2 件", "无数据"]
    assert all(colour[3] == AREA_ALPHA for colour, _l in bands) and bands[-1][0][:3] == NO_DATA
    html = legend_html("overdue_count", bands, True, big=True, title="区域颜色：各乡镇（街道）逾期未结信访件数")
    assert html.count("legend-band") == 4 and "逾期未结信访件数" in html and "非法定界线" in html
    assert "rgba(255,245,220,0.75)" in html  # the lightest class as drawn (alpha 190)


def test_case_density_is_named_and_legended_as_dots_per_cell():
    from ui.map_deck import DENSITY_COLOUR, density_bands, density_dots
    from ui.situation_view import legend_html

    density = pd.DataFrame({"lon": [103.7, 103.72, 103.74, 103.76], "lat": [25.4] * 4,
                            "case_count": [1, 1, 4, 9]})
    bands = density_bands(density)
    assert [label for _c, label in bands] == ["1 件", "2–4 件", "5–9 件"]
    alphas = [colour[3] for colour, _l in bands]
    assert alphas == sorted(alphas) and all(colour[:3] == DENSITY_COLOUR for colour, _l in bands)
    assert [dot["color"][3] for dot in density_dots(density)] == [alphas[0], alphas[0], alphas[1],
                                                                  alphas[2]]
    html = legend_html(None, [], False, density=density)
    assert "案件密度" in html and "热力" not in html and html.count("legend-band") == 3
    assert "热力" not in legend_html(None, [], False, density=pd.DataFrame())


def test_township_areas_query(fixture_engine):
    assert len(township_areas(fixture_engine, EVERYTHING)) == 3


def test_battle_table_workbook(fixture_engine):
    import io

    from openpyxl import load_workbook

    from exports.battle_table import battle_table_frame, battle_table_xlsx

    period = all_months("2025-01", "2025-03", AS_OF)
    table = battle_table_frame(key_case_board(fixture_engine, period), {"100100001": "一镇"})
    book = load_workbook(io.BytesIO(battle_table_xlsx(table, "测试市重点信访案件作战图", "2025年1月至2025年3月")))
    sheet = book["作战图"]
    assert sheet["A1"].value == "测试市重点信访案件作战图"
    headers = [c.value for c in sheet[3]]
    assert headers[:3] == ["状态", "信访件编号", "属地"] and "进度" in headers
    assert [sheet["B4"].value, sheet["B5"].value] == ["A2", "C1"]
    assert sheet["A4"].value == "黄" and sheet["A4"].fill.fgColor.rgb.endswith("F0B400")
    assert sheet["H4"].value.date() == date(2025, 4, 20)
    assert sheet.freeze_panes == "A4" and sheet.page_setup.orientation == "landscape"


def test_colours_of_a_whole_board_follow_the_rule(empty_engine):
    """The database colours the board (colour_sql) as supervision_colour does, case by case, on
    every boundary; and orders it by urgency."""
    from itertools import product

    from data import schema
    from tests.fixture_cases import case_row, load_places

    day = date(2025, 6, 30)
    listed = day - timedelta(days=60)
    cases, keys, expected = [], [], {}
    combos = product((-1, 0, 6, 7, 8, 60), (None, 0, 1), (None, 0, 1), (None, -1, 0, 1),
                     (None, 0, 1), (0, 45, 100))
    for n, (resolve, cleared, resolved, deadline, closed, progress) in enumerate(combos):
        at = {k: None if v is None else day + timedelta(days=v) for k, v in
              (("cleared", cleared), ("resolved", resolved), ("deadline", deadline),
               ("closed", closed))}
        case_no = f"K{n:04d}"
        cases.append(case_row(case_no, "2025-04-01", "2025-04-02", None, None, None, "100100001",
                              1, {"due_on": at["deadline"], "closed_on": at["closed"],
                                  "resolved_on": at["resolved"]}))
        keys.append({"case_no": case_no, "listed_on": listed, "leader": "某", "requirements": "",
                     "resolve_by": day + timedelta(days=resolve), "progress_pct": progress,
                     "stage": "化解中", "cleared_on": at["cleared"]})
        expected[case_no] = supervision_colour(day, listed, day + timedelta(days=resolve),
                                               progress, at["cleared"], at["resolved"],
                                               at["deadline"], at["closed"])
    with empty_engine.begin() as conn:
        load_places(conn)
        conn.execute(schema.cases.insert(), cases)
        conn.execute(schema.key_cases.insert(), keys)
    board = key_case_board(empty_engine, all_filters(date(2025, 1, 1), day, day))
    assert len(board) == len(expected)
    assert dict(zip(board["case_no"], board["colour"])) == expected
    urgency = board["colour"].map({"red": 0, "blue": 1, "yellow": 2, "grey": 3, "green": 4})
    assert urgency.is_monotonic_increasing
    assert all(group["days_left"].is_monotonic_increasing for _, group in board.groupby(urgency))
    assert set(expected.values()) == {"green", "red", "blue", "yellow", "grey"}


def test_drawings_kept_by_their_data_only_when_the_cache_reads_all_rows(monkeypatch):
    """A drawing kept for as long as its data is the same is kept only for data the cache tells
    apart by every row: a table of 50,000 rows or more (told apart by a sample) is drawn afresh."""
    from ui import database

    drawn = []

    def draw(frame, extra):
        drawn.append(len(frame))
        return len(frame)

    database._drawn_from.clear()
    small, large = pd.DataFrame({"a": range(10)}), pd.DataFrame({"a": range(50_000)})
    assert database.fully_hashed([small, ("x", [small]), {"k": small}])
    assert not database.fully_hashed([("x", {"k": large})])
    for frame in (small, small, large, large):
        assert database.cached_drawing_of_data(draw, frame, {"k": "v"}) == len(frame)
    assert drawn == [10, 50_000, 50_000]
