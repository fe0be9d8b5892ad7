"""满意度: satisfaction trends, honest about sample size, with the 不满意 cases behind them."""
import pandas as pd
import streamlit as st

from queries import defaults
from queries.filters import month_label, parse_month
from queries.reference import region_names
from queries.satisfaction import (
    dissatisfied_cases, rank_against_target, satisfaction_breakdown, satisfaction_by_area_month,
    satisfaction_trend,
)
from ui.cards import card_html, figure_cards
from ui.charts import FULL_WIDTH, show_chart
from ui.choices import Choice, choices, take_changes
from ui.database import cached_query
from ui.drill import dissatisfied_params, params_link
from ui.formatting import is_improvement, pct_text, yoy_rate_text
from ui.page import start_page
from ui.html_table import show_html_table
from ui.tables import show_table
from ui.trends import interval_chart, rate_chart, rate_points
from ui.markup import heading, note

DIMENSIONS = {"county": "县（市、区）", "township": "乡镇（街道）", "category": "内容分类",
              "channel": "信访形式", "method": "评价方式"}

engine, filters = start_page("满意度")
names = cached_query(region_names)

controls = st.columns([2, 3], vertical_alignment="center")
chosen = choices(controls[0], "sat_choices", [
    Choice("sat_target", "满意率目标（%）", (), number=(50.0, 100.0, 0.5),
           default=str(defaults.SATISFACTION_TARGET_PCT)),
    Choice("sat_min", "参与排名的最少评价件数", (), number=(1, 1000, 5),
           default=str(defaults.MIN_RANKED_CASES * 2),
           help="评价件数少于此数的单位灰色显示、不参与排名，避免因样本太少而偶然居首或垫底"),
], columns=2)
target, minimum = float(chosen["sat_target"]), int(chosen["sat_min"])
note(controls[1], "满意率 =（满意 + 基本满意）÷ 已评价件数；仅满意口径只计满意。区间为 Wilson 95% 置信区间："
                    "评价件数越少，区间越宽，排名越不可靠。")

trend = cached_query(satisfaction_trend, filters)
earlier = cached_query(satisfaction_trend, filters.year_earlier())
rated = trend[trend["satisfaction_den"] > 0]
if rated.empty:
    st.info("所选范围内还没有满意度评价。")
    st.stop()
# The latest month with enough evaluations: recent months are still being rated.
enough = rated[rated["satisfaction_den"] >= minimum]
latest = (enough if not enough.empty else rated).iloc[-1]
year_before = f"{int(latest['report_month'][:4]) - 1}{latest['report_month'][4:]}"
before = earlier.set_index("report_month").reindex([year_before]).iloc[0]
total_num, total_den = int(trend["satisfaction_num"].sum()), int(trend["satisfaction_den"].sum())
latest_label = month_label(parse_month(latest["report_month"]))

# The verdict judges the number as shown (one decimal): 95.0% is not "below 95%".
whole = round(100.0 * total_num / total_den, 1)
figure_cards(st, [
    card_html(f"{latest_label}满意率", pct_text(latest["satisfaction_pct"]),
              f"{int(latest['satisfaction_den']):,} 件评价，区间 {pct_text(latest['satisfaction_low_pct'])}"
              f"–{pct_text(latest['satisfaction_high_pct'])}",
              yoy_rate_text(latest["satisfaction_pct"], before["satisfaction_pct"]),
              is_improvement(latest["satisfaction_pct"], before["satisfaction_pct"], True)),
    card_html(f"{latest_label}满意率（仅满意）", pct_text(latest["satisfaction_strict_pct"]),
              f"{int(latest['satisfaction_strict_num']):,} / {int(latest['satisfaction_den']):,}",
              yoy_rate_text(latest["satisfaction_strict_pct"], before["satisfaction_strict_pct"]),
              is_improvement(latest["satisfaction_strict_pct"], before["satisfaction_strict_pct"], True)),
    card_html(f"{latest_label}参评率", pct_text(latest["participation_pct"]),
              f"{int(latest['participation_num']):,} / {int(latest['participation_den']):,}",
              yoy_rate_text(latest["participation_pct"], before["participation_pct"]),
              is_improvement(latest["participation_pct"], before["participation_pct"], True)),
    card_html("全期满意率", pct_text(whole),
              f"{total_den:,} 件评价；目标 {target:.1f}%",
              "达到目标" if whole >= target else f"低于目标 {target - whole:.1f} 个百分点",
              whole >= target),
])

heading(st, "月度走势")
points = rate_points(trend.assign(satisfaction_strict_den=trend["satisfaction_den"]), {"satisfaction": "满意率", "satisfaction_strict": "满意率（仅满意）",
                             "participation": "参评率"}, filters.as_of,
                     least=max(minimum, defaults.TREND_MIN_DENOMINATOR))
show_chart(st, rate_chart, points, target, {"满意率": "#2f6db5", "满意率（仅满意）": "#7fa7d9",
                                          "参评率": "#d9822b"},
           band=rated[["report_month", "satisfaction_low_pct", "satisfaction_high_pct"]],
           height=340, width=FULL_WIDTH)
note(st, f"浅蓝色带：满意率的 95% 置信区间；红虚线：目标 {target:.1f}%。空心点：本月至今，或评价件数"
           f"不足 {max(minimum, defaults.TREND_MIN_DENOMINATOR)} 件（样本少），不连线；各月分子、分母见鼠标提示。"
           f"上方卡片取评价件数不少于 {minimum} 件的最近月份（近期登记的信访件多数尚在办理或评价中）。")

heading(st, "分项比较")


@st.fragment
def breakdown() -> None:
    """Only the open tab is computed and sent (a table and a chart, not five and two); a tab
    clicked reruns this part alone."""
    tabs = st.tabs([f"按{label}" for label in DIMENSIONS.values()], key="sat_dimension",
                   on_change="rerun")
    for tab, (dimension, label) in zip(tabs, DIMENSIONS.items()):
        if not tab.open:
            continue
        with tab:
            frame = cached_query(satisfaction_breakdown, filters, dimension)
            column = frame.columns[0]
            ranked = rank_against_target(frame, target, minimum)
            display = pd.DataFrame({
                "排名": ranked["rank"].astype("Int64"),
                label: [names.get(v, v) if dimension in ("county", "township") else v
                        for v in ranked[column]],
                "满意率": ranked["satisfaction_pct"],
                "区间下限": ranked["satisfaction_low_pct"],
                "区间上限": ranked["satisfaction_high_pct"],
                "评价件数": ranked["satisfaction_den"],
                "不满意件数": ranked["satisfaction_den"] - ranked["satisfaction_num"],
                "满意率（仅满意）": ranked["satisfaction_strict_pct"],
                "参评率": ranked["participation_pct"],
                "与目标差距（百分点）": ranked["gap_pct"].round(1),
            })
            if dimension == "method":  # a case not evaluated has no method: no 参评率 by method
                display = display.drop(columns="参评率")
            formats = {**dict.fromkeys(("满意率", "区间下限", "区间上限", "满意率（仅满意）", "参评率"), "pct"),
                       "与目标差距（百分点）": "signed", "评价件数": "count", "不满意件数": "count",
                       "排名": "count"}
            sparks = {}
            if dimension in ("county", "township"):
                series = cached_query(satisfaction_by_area_month, filters, dimension)
                series = series[series["satisfaction_den"] >= 5]  # a month with a handful says little
                spark = {code: list(g.sort_values("report_month")["satisfaction_pct"])
                         for code, g in series.groupby(column)}
                display["月度走势"] = [spark.get(code, []) for code in ranked[column]]
                sparks["月度走势"] = (50.0, 100.0)
            # Said in a column, not greyed by a pandas Styler (15 ms of every run, more to draw).
            display["说明"] = ["" if ranked_ else "样本不足，不排名" for ranked_ in ranked["ranked"]]
            show_html_table(st, display, f"所选范围内没有按{label}的评价记录。", key=f"sat_table_{dimension}",
                            height=360, pickable=False, formats=formats, sparks=sparks,
                            help_texts={"排名": "第 1 名满意率最高"})
            note(st, f"第 1 名满意率最高（排名越靠后越需关注）；“样本不足”：评价不足 {minimum} 件，不参与排名。"
                       + ("按评价方式不列参评率：未评价的信访件没有评价方式。" if dimension == "method" else ""))
            if dimension in ("county", "township") and ranked["ranked"].any():
                worst = ranked[ranked["ranked"]].tail(15).iloc[::-1].assign(
                    name=lambda d: [names.get(v, v) for v in d[column]])
                show_chart(st, interval_chart, worst, label, target, width=FULL_WIDTH)


breakdown()

heading(st, "不满意件明细")


@st.fragment
def dissatisfied() -> None:
    """The cases behind the rates; choosing what to look at reruns this part alone."""
    take_changes("sat_drill", ("sat_drill_dim", "sat_drill_value"))  # the item decides its values
    dimension = st.session_state.get("sat_drill_dim", "all")
    picks = [Choice("sat_drill_dim", "按哪一项查看", ["all", "month", *DIMENSIONS],
                    lambda d: {"all": "全部", "month": "登记月份"}.get(d, DIMENSIONS.get(d)))]
    if dimension == "month":
        picks.append(Choice("sat_drill_value", "月份", list(rated["report_month"])[::-1]))
    elif dimension in DIMENSIONS:
        options = list(cached_query(satisfaction_breakdown, filters, dimension).iloc[:, 0])
        picks.append(Choice("sat_drill_value", DIMENSIONS[dimension], [str(v) for v in options],
                            lambda v: names.get(v, v)))
    chosen = choices(st.columns([3, 1])[0], "sat_drill", picks, columns=2)
    dimension, value = chosen["sat_drill_dim"], chosen.get("sat_drill_value")
    cases = cached_query(dissatisfied_cases, filters, None if dimension == "all" else dimension, value)
    show_table(st, pd.DataFrame({
        "信访件编号": cases["case_no"], "登记日期": cases["received_on"], "评价日期": cases["evaluated_on"],
        "评价方式": cases["method"], "责任单位": cases["unit_name"],
        "属地": [names.get(t, t) for t in cases["township_code"]], "内容分类": cases["category"],
        "信访形式": cases["channel"], "诉求摘要": cases["summary"],
    }), "所选范围内没有不满意件。", hide_index=True, width="stretch", height=360, column_config={
        "登记日期": st.column_config.DateColumn(format="YYYY-MM-DD"),
        "评价日期": st.column_config.DateColumn(format="YYYY-MM-DD")})
    note(st, f"共 {len(cases):,} 件（最多显示 500 件，按评价日期从新到旧）。不显示信访人个人信息。")
    params_link(st, "在综合查询中查看这些不满意件（可打开案件档案）",
                dissatisfied_params(filters, None if dimension == "all" else dimension, value))


# Built only while open (up to 500 cases and their choices: a third of the page's time to show at
# every visit, for a list looked at now and then).
detail_box = st.expander("按月份、地区、分类等查看不满意件，可在综合查询中打开案件档案",
                         key="sat_detail_open", on_change="rerun")
if detail_box.open:
    with detail_box:
        dissatisfied()
