"""大屏: the situation map for the projector: map, colour counts and the most urgent key cases in
large type, nothing else."""
import html

import streamlit as st

from exports.battle_table import COLOUR_FILLS, battle_table_frame
from queries.reference import is_demo_data, region_names, scope_name
from ui.database import cached_query
from ui.drill import page_link
from ui.page import start_page
from ui.map_svg import map_view
from ui.situation_view import colour_counts, legend_html, map_data, view_svg
from ui.viewport import window_size

URGENT_ROWS = 12   # the key cases listed beside the map
SHARE = (2.5, 1.5)  # map column : urgent cases column
# Until the browser has told its window's size: a 1920x1080 projector.
DEFAULT_WINDOW = (1920, 1080)
# Pixels around the map: the title and colour counts above (HTML elements, each followed by the
# page's 16-pixel gap), the legend (two lines on a narrow screen) below; the page's side padding and
# the gap between the columns.
ABOVE_MAP, BELOW_MAP, SIDES = 157, 95, 62
# Areas graded by their overdue open cases (all cases, not only key ones): 0 is a class of its own.
AREA_METRIC = "overdue_count"
AREA_LEGEND = "区域颜色：各乡镇（街道）逾期未结信访件数"
DEMO_NOTE = "<span style='font-size:1.2rem;color:#b8860b'>　演示数据，非真实信访数据</span>"

st.html("""<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], header,
[data-testid="stHeader"], [data-testid="stElementToolbar"] { display: none !important; }
.block-container { padding: 0.8rem 1.4rem !important; }
.bigscreen-title { font-size: clamp(1.5rem, 2.6vw, 2.4rem); font-weight: 800; color: #8b1a1a;
  margin: 0; }
.urgent { width: 100%; border-collapse: collapse; }
.urgent { font-size: clamp(1rem, 1.15vw, 1.3rem); }
.urgent td, .urgent th { padding: 6px 8px; border-bottom: 1px solid #ddd; white-space: nowrap; }
.urgent td.leader { white-space: normal; word-break: keep-all; overflow-wrap: anywhere; }
.urgent th { text-align: left; color: #555; font-weight: 600; }
</style>""")

engine, filters = start_page("", banner=False, caption=False)
names = cached_query(region_names)
st.html(f"<div class='bigscreen-title'>{html.escape(cached_query(scope_name, filters.scope))}"
        f"重点信访案件挂图作战（截至 {filters.as_of:%Y年%m月%d日}）"
        f"{DEMO_NOTE if cached_query(is_demo_data) else ''}</div>")

areas, counties, figures, board, density = map_data(filters, False)
colour_counts(board, big=True)
left, right = st.columns(list(SHARE))
with st.container():  # under both columns: the size report takes no room above the map
    window = window_size() or DEFAULT_WINDOW
# The map fills the screen the room sees, whatever the projector's resolution.
map_height = max(320, window[1] - ABOVE_MAP - BELOW_MAP)
map_width = max(400, int((window[0] - SIDES) * SHARE[0] / sum(SHARE)))
with left:
    svg, bands = view_svg(filters, AREA_METRIC, False, True, map_width, map_height, big=True)
    map_view(svg, map_height, key="bigscreen_map", tip_size=20)
    schematic = bool(areas["boundary_schematic"].any()) if not areas.empty else False
    st.html(legend_html(AREA_METRIC, bands, schematic, big=True, title=AREA_LEGEND))
with right:
    urgent = battle_table_frame(board[board["colour"] != "green"].head(URGENT_ROWS), names)
    st.html("<div style='font-size:1.6rem;font-weight:700'>最紧急的重点案件</div>")
    if urgent.empty:
        st.html("<div style='font-size:1.3rem'>没有未化解的重点案件。</div>")
    else:
        rows = "".join(
            f"<tr><td><span style='background:#{COLOUR_FILLS[r['状态']]};color:#fff;"
            f"padding:2px 8px;border-radius:4px'>{html.escape(r['状态'])}</span></td>"
            f"<td>{html.escape(str(r['属地']))}</td>"
            f"<td class='leader'>{html.escape(str(r['包案领导']))}</td>"
            f"<td style='text-align:right'>"
            f"{'逾期 ' + str(-r['剩余天数']) if r['剩余天数'] < 0 else '剩 ' + str(r['剩余天数'])} 天</td></tr>"
            for _i, r in urgent.iterrows())
        st.html(f"<table class='urgent'><tr><th>状态</th><th>属地</th><th>包案领导</th>"
                f"<th style='text-align:right'>时限</th></tr>{rows}</table>")
    st.html(f"<div style='font-size:1.1rem;color:#555;margin-top:8px'>"
            f"{html.escape(filters.caption(names))}</div>")
    # The sidebar is hidden on the projector: the way back, small and out of the room's sight.
    page_link(st, "pages/overview.py", "overview", "退出大屏")
