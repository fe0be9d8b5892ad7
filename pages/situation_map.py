"""挂图作战: the situation map of key cases and the battle table."""
import pandas as pd
import streamlit as st

from data.database import config_value
from exports.battle_table import COLOUR_FILLS, battle_table_frame, battle_table_xlsx
from queries.filters import add_months, month_end
from queries.reference import region_names, scope_name
from queries.situation_map import (
    as_of_month_end, case_density, county_outlines, key_case_board, township_areas,
    township_map_figures,
)
from ui.database import cached_query
from ui.downloads import download_button
from ui.markup import md_text
from ui.map_deck import (
    METRICS, PIN_COLOURS, RAMP, county_features, metric_text, pin_records, situation_deck,
    township_features, view_for,
)
from ui.page import start_page

SHOWN_ROWS = 1000  # rows of the battle table drawn on the page

engine, filters = start_page("挂图作战")
names = cached_query(region_names)

controls = st.columns([2, 2, 1])
metric = controls[0].selectbox("区域着色指标", list(METRICS), format_func=lambda m: METRICS[m][0],
                               key="map_metric")
latest = filters.as_of
month_ends = [None] + [month_end(add_months(latest.replace(day=1), -i)) for i in range(1, 37)]
month_ends = [m for m in month_ends if m is None or m >= filters.start]
stood = controls[1].selectbox(
    "时点", month_ends, key="map_as_of",
    format_func=lambda d: f"最新（截至 {latest:%Y-%m-%d}）" if d is None else f"{d:%Y年%m月}末",
    help="选择过去某月末，查看当时的在办、逾期和销号情况")
show_density = controls[2].toggle("案件热力", value=True, help="全部信访件按位置聚合的热力层")
view_filters = filters if stood is None else as_of_month_end(filters, stood)

areas = cached_query(township_areas, filters.scope)
if filters.county:
    areas = areas[areas["county_code"] == filters.county]
figures = cached_query(township_map_figures, view_filters)
board = cached_query(key_case_board, view_filters)
density = cached_query(case_density, view_filters) if show_density else pd.DataFrame()
counties = cached_query(county_outlines, filters.scope)
if filters.county:
    counties = counties[counties["code"] == filters.county]

counts = board["colour"].value_counts()
cols = st.columns(len(PIN_COLOURS))
for col, (key, (rgb, label, meaning)) in zip(cols, PIN_COLOURS.items()):
    col.markdown(
        f"<div style='border-left:10px solid rgb{rgb};padding:4px 10px;background:#f7f7f7'>"
        f"<div style='font-size:1.0rem'>{label}</div>"
        f"<div style='font-size:2.0rem;font-weight:700'>{int(counts.get(key, 0))}</div>"
        f"<div style='font-size:0.8rem;color:#555'>{meaning}</div></div>",
        unsafe_allow_html=True)

township_geo, bins = township_features(areas, figures, metric,
                                       {c: names.get(c, "") for c in areas["county_code"]})
# Township names where they can be read: a county's townships, or a small jurisdiction.
labels = ([{"name": r.name, "lon": r.lon, "lat": r.lat} for r in areas.itertuples()]
          if len(areas) <= 40 else [])
deck = situation_deck(township_geo, county_features(counties), labels, density,
                      pin_records(board, names), view_for(areas), show_density,
                      config_value("basemap_style_url"),
                      [{"name": r.name, "lon": r.lon, "lat": r.lat} for r in counties.itertuples()]
                      if len(counties) > 1 else None)
event = st.pydeck_chart(deck, height=620, on_select="rerun", selection_mode="single-object",
                        key="situation_map")

label, unit, higher_better = METRICS[metric]
ramp = RAMP[::-1] if higher_better else RAMP
edges = ["最低", *[metric_text(metric, b) for b in bins], "最高"] if bins else []
legend = "".join(
    f"<span style='display:inline-block;width:34px;height:14px;background:rgb{c};"
    f"border:1px solid #aaa;margin-left:6px'></span>" for c in ramp)
schematic = bool(areas["boundary_schematic"].any()) if not areas.empty else False
st.markdown(
    f"<div style='font-size:0.95rem'>区域颜色：{label}（{unit}），由低到高 {legend}"
    f"　分档界值：{' / '.join(edges[1:-1]) or '—'}"
    f"{'　<b>乡镇（街道）区域为示意范围，非法定界线</b>' if schematic else ''}</div>",
    unsafe_allow_html=True)

selected = None
objects = ((event or {}).get("selection") or {}).get("objects") or {}
for obj in objects.get("townships", []):
    props = obj.get("properties", obj)
    selected = props.get("code")
for obj in objects.get("key_cases", []):  # a pin: its township
    match = board.loc[board["case_no"] == obj.get("case_no"), "township_code"]
    selected = match.iloc[0] if len(match) else selected
if selected:
    st.info(f"已选中：{md_text(names.get(selected, selected))}。点击地图空白处或其他乡镇可更换。")
    board_shown = board[board["township_code"] == selected]
else:
    board_shown = board

st.subheader(f"作战图：重点案件清单（{len(board_shown)} 件）")
st.caption("排序：红、蓝、黄、正常、绿；同色按剩余天数从少到多。剩余天数为负表示已逾期。"
           + ("" if stood is None else "　进度为最新填报值。"))
table = battle_table_frame(board_shown, names)
if len(table) > SHOWN_ROWS:  # a long list is read from the download, not the screen
    st.caption(f"下表显示最紧急的 {SHOWN_ROWS:,} 件；全部 {len(table):,} 件见下载的作战图。")
fills = {name: f"#{rgb}" for name, rgb in COLOUR_FILLS.items()}
styled = table.head(SHOWN_ROWS).style.map(
    lambda v: f"background-color:{fills.get(v, '')};color:white;font-weight:bold" if v in fills
    else "", subset=["状态"])
st.dataframe(styled, hide_index=True, width="stretch", height=420, column_config={
    "进度": st.column_config.ProgressColumn("进度", min_value=0, max_value=100, format="%d%%"),
    "化解时限": st.column_config.DateColumn(format="YYYY-MM-DD"),
    "销号日期": st.column_config.DateColumn(format="YYYY-MM-DD"),
})
title_place = names.get(selected, "") if selected else ""
title = (f"{cached_query(scope_name, filters.scope)}{title_place}重点信访案件作战图"
         f"（截至{view_filters.as_of:%Y年%m月%d日}）")
caption = filters.caption(names)
# The file is built when the button is clicked, not on every rerun of the page.
download_button(st, "下载作战图（Excel）", lambda: battle_table_xlsx(table, title, caption),
                f"作战图_{view_filters.as_of:%Y%m%d}.xlsx", "作战图", caption)
