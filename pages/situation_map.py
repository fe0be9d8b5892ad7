"""挂图作战: the situation map of key cases and the battle table."""
import streamlit as st

from data.database import config_value
from exports.battle_table import battle_table_frame, battle_table_xlsx
from queries.filters import add_months, month_end
from queries.reference import region_names, scope_name
from queries.situation_map import as_of_month_end
from ui.database import cached_query
from ui.choices import Choice, choices
from ui.drill import case_params, open_search, params_link, search_link
from ui.downloads import download_button
from ui.html_table import show_html_table
from ui.map_deck import METRICS
from ui.markup import heading, md_text, note
from ui.page import start_page
from ui.map_svg import map_view, parse_pick
from ui.situation_view import (
    build_deck, colour_counts, colour_key, legend_html, map_data, view_svg,
)
from ui.tables import STATUS_COLOURS

SHOWN_ROWS = 1000  # rows of the battle table drawn on the page
# Pixels: the map and its legend fit the first screen at 1920x1080 below the title, controls and
# colour counts; on a 1366x768 laptop one scroll shows the whole map with its legend.
MAP_HEIGHT = 620
# The battle table's columns on the page (the download has them all): one screen wide at 1920.
PAGE_COLUMNS = ["状态", "信访件编号", "属地", "包案领导", "责任单位", "化解时限", "剩余天数", "进度",
                "阶段", "销号日期", "工作要求"]

engine, filters = start_page("挂图作战")
names = cached_query(region_names)

controls = st.columns([3, 1, 1, 1], vertical_alignment="bottom")
latest = filters.as_of
month_ends = [month_end(add_months(latest.replace(day=1), -i)) for i in range(1, 37)]
month_ends = {f"{m:%Y-%m-%d}": m for m in month_ends if m >= filters.start}
chosen = choices(controls[0], "map_choices", [
    Choice("map_metric", "区域着色指标", list(METRICS), lambda m: METRICS[m][0]),
    Choice("map_as_of", "时点", ["", *month_ends],
           lambda d: f"{month_ends[d]:%Y年%m月}末" if d else f"最新（截至 {latest:%Y-%m-%d}）",
           help="选择过去某月末，查看当时的在办、逾期和销号情况"),
], columns=2)
metric, stood = chosen["map_metric"], month_ends.get(chosen["map_as_of"])
show_density = controls[1].toggle(
    "案件密度", value=False,
    help="本期全部信访件按约 2 公里的网格计数，每格一个圆点，颜色越深件数越多；打开时区域不再按指标着色")
hide_cleared = controls[2].toggle("隐藏已销号", value=False, help="不在地图上标出已化解或销号（绿）的案件")
# The SVG map draws at once on any computer; the WebGL one can be dragged and zoomed (and shows the
# intranet base map where one is configured) but wants a graphics card.
zoomable = controls[3].toggle(
    "可缩放地图", value=bool(config_value("basemap_style_url")), key="map_zoomable",
    help="用显卡（WebGL）绘制，可拖动、滚轮缩放；没有独立显卡或显卡驱动不全的电脑上打开较慢甚至不显示")
view_filters = filters if stood is None else as_of_month_end(filters, stood)

areas, counties, figures, board, density = map_data(view_filters, show_density)
# A map click belongs to the sidebar's choice it was made under: a new choice starts afresh.
map_key = f"situation_map_{filters.county or 'all'}_{filters.township or 'all'}"
selected = pin = None
if zoomable:
    for obj in ((((st.session_state.get(f"{map_key}_zoom") or {}).get("selection") or {})
                 .get("objects") or {}).get("townships", [])):
        selected = obj.get("properties", obj).get("code")
    for obj in ((((st.session_state.get(f"{map_key}_zoom") or {}).get("selection") or {})
                 .get("objects") or {}).get("key_cases", [])):  # a pin: its township
        pin = obj.get("case_no")
else:
    kind, code = parse_pick((st.session_state.get(map_key) or {}).get("picked"))
    if kind == "area" and code in set(areas["code"]):  # only an area of this map
        selected = code
    pin = code if kind == "pin" else None
if pin is not None:
    match = board.loc[board["case_no"] == pin, "township_code"]
    selected, pin = (match.iloc[0], pin) if len(match) else (selected, None)
if filters.township and selected != filters.township:
    selected = None  # the sidebar has already chosen the township
board_shown = board[board["township_code"] == selected] if selected else board

colour_counts(board_shown)
shown_metric = None if show_density else metric
if zoomable:
    deck, bands = build_deck(areas, counties, figures, board, density, shown_metric, names,
                             hide_cleared, 1500, MAP_HEIGHT)
    st.pydeck_chart(deck, height=MAP_HEIGHT, on_select="rerun", selection_mode="single-object",
                    key=f"{map_key}_zoom")
else:
    svg, bands = view_svg(view_filters, shown_metric, show_density, hide_cleared, 1500, MAP_HEIGHT)
    map_view(svg, MAP_HEIGHT, key=map_key, pickable=True,
             picked=f"pin:{pin}" if pin else (f"area:{selected}" if selected else None))
schematic = bool(areas["boundary_schematic"].any()) if not areas.empty else False
st.html(legend_html(None if show_density else metric, bands, schematic, density=density))
note(st, f"重点案件圆点：{colour_key()}。已销号（绿）的点较小，可用上方开关隐藏。")
if selected:
    st.info(f"已选中：{md_text(names.get(selected, selected))}（上方颜色件数和下表均为该乡镇的重点案件）。"
            "点击地图空白处或其他乡镇可更换。")
    links = st.columns([1, 1, 2])
    search_link(links[0], f"查看{names.get(selected, selected)}本期信访件", view_filters, township=selected)
    if pin:
        params_link(links[1], f"打开案件档案：{pin}", case_params(view_filters, pin))

heading(st, f"作战图：重点案件清单（{len(board_shown):,} 件）")
note(st, "排序：红、蓝、黄、正常、绿；同色按剩余天数从少到多。剩余天数为负表示已逾期。点选一行打开案件档案。"
           "诉求摘要、内容分类见下载的作战图。"
           + ("" if stood is None else "　进度为最新填报值，阶段和销号日期为所选月末的情况。"))
# Only the rows drawn are laid out (a city's 8,000 key cases took 13 ms of every run).
shown = battle_table_frame(board_shown.head(SHOWN_ROWS), names)[PAGE_COLUMNS]
if len(board_shown) > SHOWN_ROWS:  # a long list is read from the download, not the screen
    note(st, f"下表显示最紧急的 {SHOWN_ROWS:,} 件；全部 {len(board_shown):,} 件见下载的作战图。")
picked = show_html_table(st, shown, "所选范围和时点没有重点案件。", key="battle_table", height=420,
                         colours={"状态": STATUS_COLOURS}, progress=("进度",),
                         formats={"剩余天数": lambda v: f"{v:.0f}"})
if picked is not None:
    open_search(case_params(view_filters, shown["信访件编号"].iloc[picked]))
title_place = names.get(selected, "") if selected else ""
title = (f"{cached_query(scope_name, filters.scope)}{title_place}重点信访案件作战图"
         f"（截至{view_filters.as_of:%Y年%m月%d日}）")
caption = filters.caption(names)
# The file is built when the button is clicked, not on every rerun of the page.
download_button(st, "下载作战图（Excel）",
                lambda: battle_table_xlsx(battle_table_frame(board_shown, names), title, caption),
                f"作战图_{view_filters.as_of:%Y%m%d}.xlsx", "作战图", caption)
