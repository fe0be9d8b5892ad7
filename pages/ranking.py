"""乡镇排名与通报: rankings by an explicit, editable scheme; circular candidates; Excel and Word."""
from datetime import date

import pandas as pd
import streamlit as st

from data import audit
from data.database import write_setting
from data.issued import IssueError
from exports.archive import issue_circular, issue_report
from exports.monthly_report import report_place
from exports.ranking_reports import LEVEL_NAMES, circular_docx, ranking_table, ranking_workbook
from queries.defaults import AUTHORITY_KEY
from queries.issued import issued_file, issued_list
from queries.filters import add_months, parse_period, period_filters, previous_period
from queries.ranking import (
    DEDUCTIONS, RATE_INDICATORS, SCHEME_KEY, RankingScheme, read_scheme, township_ranking,
)
from queries.reference import case_date_range, issuing_authority, region_names, scope_name
from ui.auth import current_account
from ui.choices import Choice, choices, take_changes
from ui.database import cached_query, clear_cached_queries
from ui.drill import open_search, params_link, ranking_reason_links, ranking_row_params
from ui.downloads import download_button, export_menu
from ui.html_table import show_html_table
from ui.markup import heading, html_text, md_text, note
from ui.page import start_page

PERIOD_KINDS = {"month": "月", "quarter": "季度", "year": "年"}

engine, filters = start_page("乡镇排名与通报")
names = cached_query(region_names)
today = filters.as_of
first, _ = cached_query(case_date_range)
first = first or today


def period_options(kind: str) -> list[str]:
    """Periods that have data, newest first; the current, unfinished one last in line."""
    options, current = [], today.replace(day=1)
    while current >= first.replace(day=1):
        if kind == "month":
            options.append(current.strftime("%Y-%m"))
        elif kind == "quarter" and current.month in (1, 4, 7, 10):
            options.append(f"{current.year}-Q{(current.month - 1) // 3 + 1}")
        elif kind == "year" and current.month == 1:
            options.append(str(current.year))
        current = add_months(current, -1)
    if kind == "year" and str(today.year) not in options:
        options.insert(0, str(today.year))
    if kind == "quarter":
        label = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
        if label not in options:
            options.insert(0, label)
    return options


# The kind of period decides the periods offered.
take_changes("rank_choices", ("rank_level", "rank_kind", "rank_period"))
kind = st.session_state.get("rank_kind") if st.session_state.get("rank_kind") in PERIOD_KINDS \
    else "quarter"
options = period_options(kind)
complete = [p for p in options if parse_period(p)[1] < today] or options
chosen = choices(st, "rank_choices", [
    Choice("rank_level", "排名对象", list(LEVEL_NAMES), LEVEL_NAMES.get, radio=True),
    Choice("rank_kind", "期间", list(PERIOD_KINDS), PERIOD_KINDS.get, radio=True, default="quarter"),
    Choice("rank_period", "排名期间", options, lambda p: parse_period(p)[2], default=complete[0]),
], columns=3)
level, period = chosen["rank_level"], chosen["rank_period"]

saved = cached_query(read_scheme)
if "rank_scheme" not in st.session_state:
    st.session_state["rank_scheme"] = saved.to_json()
scheme = RankingScheme.from_json(st.session_state["rank_scheme"])


def scheme_editor(scheme: RankingScheme) -> None:
    """The scheme's inputs (changing `scheme` in place), and saving it or going back to the
    default."""
    st.markdown("**比率指标权重**（按权重加权平均，满分 100）")
    cols = st.columns(len(RATE_INDICATORS))
    for col, (key, (label, _better)) in zip(cols, RATE_INDICATORS.items()):
        scheme.weights[key] = col.number_input(label, min_value=0.0, max_value=100.0, step=5.0,
                                               value=float(scheme.weights[key]), key=f"w_{key}")
    st.markdown("**扣分**")
    cols = st.columns(len(DEDUCTIONS) + 3)
    for col, (key, (label, unit)) in zip(cols, DEDUCTIONS.items()):
        scheme.deductions[key] = col.number_input(f"{label}（{unit}）", min_value=0.0, step=0.5,
                                                  value=float(scheme.deductions[key]), key=f"d_{key}")
    scheme.bottom_share = cols[-3].number_input("末位比例", min_value=0.0, max_value=0.5, step=0.05,
                                                value=float(scheme.bottom_share), key="r_share")
    scheme.bottom_min = int(cols[-2].number_input("末位至少（个）", min_value=0, max_value=50, step=1,
                                                  value=int(scheme.bottom_min), key="r_min"))
    scheme.min_cases = int(cols[-1].number_input("参与排名最少件数", min_value=1, max_value=500,
                                                 step=1, value=int(scheme.min_cases), key="r_cases"))
    st.session_state["rank_scheme"] = scheme.to_json()
    buttons = st.columns([1, 1, 4])
    may_save = current_account().may("save_scheme")
    if buttons[0].button("保存为本单位方案", key="save_scheme", disabled=not may_save,
                         help=None if may_save else "只有领导和管理员可以保存评分办法"):
        with engine.begin() as conn:
            write_setting(conn, SCHEME_KEY, scheme.to_json())
            audit.record(engine, current_account().username, "scheme_change", SCHEME_KEY,
                         {"scheme": scheme.to_json()}, conn=conn)
        clear_cached_queries()
        st.success("已保存，今后打开本页和命令行导出都使用此方案。")
    if buttons[1].button("恢复默认", key="reset_scheme"):
        st.session_state["rank_scheme"] = RankingScheme().to_json()
        for key in list(st.session_state):
            if key.startswith(("w_", "d_", "r_")):
                del st.session_state[key]
        st.rerun()


# The inputs are built only while the expander is open (a dozen widgets, not needed on every
# visit); the scheme lives in the session, so closing the expander keeps it.
scheme_box = st.expander("评分办法：权重、扣分与候选规则（可修改）", key="rank_scheme_open",
                         on_change="rerun")
if scheme_box.open:
    with scheme_box:
        scheme_editor(scheme)
if sum(scheme.weights.values()) <= 0:
    st.error("权重之和必须大于 0，已暂用默认权重。")
    scheme.weights = RankingScheme().weights
if scheme.to_json() != saved.to_json():
    note(st, "当前方案与已保存的方案不同（仅本次查看有效，保存后才长期生效）。")

current = period_filters(period, today, filters)
previous = period_filters(previous_period(period), today, filters)
frame = cached_query(township_ranking, current, previous, scheme.to_json(), level)
_start, _end, label = parse_period(period)
jurisdiction = cached_query(scope_name, filters.scope)
st.info(f"**评价办法**　{scheme.describe()}")  # built from numbers only
if parse_period(period)[1] >= today:
    st.warning(f"{label}尚未结束（数据截至 {today:%Y-%m-%d}），排名仅供参考。")

ranked = int(frame["ranked"].sum())


def reason_cases(rows: pd.DataFrame) -> None:
    """Under the lists of candidates: one of them chosen, a button opens a window of links to the
    cases behind its figures (built when asked for, not for every candidate at every run; one
    control for both lists, not a button beside each name: a long list drew a hundred elements)."""
    if rows.empty:
        return
    names = dict(zip(rows["entity"], rows["entity_name"]))
    line = st.columns([3, 1, 4], vertical_alignment="bottom")
    chosen = choices(line[0], "reasons_choice", [
        Choice("reasons", "查看候选单位的问题件", list(names), names.get)])["reasons"]
    if line[1].button("问题件", key="reasons_open",
                      help="查看所选单位本期的信访件和各项失分的信访件"):
        reason_window(next(row for row in rows.itertuples() if row.entity == chosen))


@st.dialog("问题件", width="medium")
def reason_window(row) -> None:
    st.markdown(f"**{md_text(row.entity_name)}**（{label}）")
    for text, count, params in ranking_reason_links(current, level, row):
        params_link(st, f"{text} {count:,} 件", params)


bulletin = frame[frame["bulletin"]]
supervise = frame[frame["supervise"]]
heading(st, f"{label}{LEVEL_NAMES[level]}排名：共 {len(frame)} 个，参与排名 {ranked} 个")


def candidate_list(slot, title: str, rows: pd.DataFrame, empty: str, robust: bool = False) -> None:
    """A list of candidates with the reason for each, as one HTML element (names are user text:
    escaped)."""
    items = []
    for row in rows.itertuples():
        extra = ""
        if robust:
            extra += "" if pd.isna(row.stability) else f"（稳健度 {row.stability:.0%}）"
            extra += f"　⚠ 样本少：{row.thin}" if row.thin else ""
        items.append(f"<li class='xf-item'><b>{html_text(row.entity_name)}</b>："
                     f"{html_text(row.reason + extra)}</li>")
    body = f"<ul class='xf-list'>{''.join(items)}</ul>" if items else f"<p>{html_text(empty)}</p>"
    slot.html(f"<h4 class='xf-subheading'>{html_text(title)}</h4>{body}")


left, right = st.columns(2)
candidate_list(left, f"通报候选（{len(bulletin)} 个）", bulletin, "本期没有通报候选。", robust=True)
if not bulletin.empty:
    note(left, "稳健度：各乡镇的信访件重新抽样（有放回）、同时各项权重和扣分上下浮动 20%，1,000 次中"
               "仍为候选的比例。⚠ 样本少：所依据的件数不足 10 件的指标，名次可能因个别案件而大幅变动。")
candidate_list(right, f"挂牌督办候选（{len(supervise)} 个）", supervise,
               "本期没有连续两期处于末位区间的单位。")
reason_cases(pd.concat([bulletin, supervise]).drop_duplicates("entity"))

full_table = ranking_table(frame, names, level)


@st.fragment
def ranking_view() -> None:
    """The table and its view controls: choosing 前 N 名 / 后 N 名 reruns only this part."""
    view = st.columns([3, 3])
    most = max(1, ranked)
    take_changes("rank_view_choice", ("rank_view", "rank_n"))  # N is offered for top and bottom
    chosen = choices(view[0], "rank_view_choice", [
        Choice("rank_view", "显示", ["all", "top", "bottom"],
               {"all": "全部", "top": "前 N 名", "bottom": "后 N 名（最差的在前）"}.get, radio=True),
        Choice("rank_n", "N", (), number=(1, most, 1), default=str(min(10, most)),
               disabled=st.session_state.get("rank_view", "all") == "all"),
    ], columns=2)
    which, count = chosen["rank_view"], int(chosen["rank_n"])
    shown = frame["ranked"]
    if which == "top":
        keep = frame.index[shown][:count]
    elif which == "bottom":
        keep = frame.index[shown][-count:][::-1]
    else:
        keep = frame.index[shown]
    table = full_table.loc[keep].reset_index(drop=True)
    # The candidates marked in red beside the score, not many columns to the right.
    marks = ["通报候选", "挂牌督办候选"]
    order = [c for c in table.columns if c not in marks]
    at = order.index("综合得分") + 1 if "综合得分" in order else len(order)
    table = table[order[:at] + marks + order[at:]]
    picked = show_html_table(
        st, table, f"本期没有参与排名的单位（信访件都少于 {scheme.min_cases} 件）。",
        key="rank_table", height=min(520, 40 + 36 * len(table)),
        colours={mark: {"是": "#d62728"} for mark in marks}, dashes=("排名变化",),
        formats={**{label_: "pct" for label_, _b in RATE_INDICATORS.values()}, "候选稳健度": "pct",
                 "综合得分": "two", "排名变化": lambda v: f"{int(v):+d}" if v else "0"},
        help_texts={"排名变化": "与上一期相比，正数为上升；—：上期未参与排名"})
    note(st, "第 1 名为最好（综合得分最高；单项排名同样以第 1 名为最好）。红色“是”：通报或挂牌督办候选。"
               "每项指标后的“排名”为该指标单项排名。"
               "越级访按件数和人次列示，扣分按每万人（无人口数时每千件）折算，进京访按件扣分。"
               "点选一行，在综合查询中查看其本期登记的信访件；候选单位旁的“问题件”列出各项失分的信访件。")
    unranked = frame[~shown]
    if len(unranked):
        note(st, f"未参与排名（信访件少于 {scheme.min_cases} 件，见下载的排名表）："
                   + "、".join(f"{n}（{int(c):,} 件）"
                              for n, c in zip(unranked["entity_name"], unranked["case_count"])))
    if picked is not None:
        entity = frame.loc[keep, "entity"].iloc[picked]
        open_search(ranking_row_params(current, level, entity))


ranking_view()

title = f"{jurisdiction}{label}{LEVEL_NAMES[level]}信访工作综合排名"
downloads = export_menu(st, "导出排名和通报草稿")
download_button(
    downloads, "下载排名（Excel）", lambda: ranking_workbook(full_table, title, scheme.describe()),
    f"{title}.xlsx", "排名", current.caption(names), type="primary")  # built on click
download_button(
    downloads, "下载通报草稿（Word）",
    lambda: circular_docx(frame, jurisdiction, label, scheme.describe(), names, level,
                          cached_query(issuing_authority)),
    f"关于{label}信访工作情况的通报（草稿）.docx", "通报草稿", current.caption(names))

heading(st, f"{label}已签发的通报和分析报告")
issued = cached_query(issued_list, filters.scope, period)
if issued.empty:
    note(st, "本期还没有签发存档的文件。签发后的文件原样保存在数据库中，此后数据更正也不改变已签发的文件。")
for row in issued.itertuples():
    cols = st.columns([4, 2, 2, 1])
    cols[0].text(f"{row.title}　{row.doc_number}")  # user text: shown as plain text, never markup
    cols[1].text(f"成文日期 {row.issued_on:%Y-%m-%d}；签发人 {row.issued_by}")
    note(cols[2], f"存档于 {str(row.issued_at)[:16]}；SHA-256 {row.sha256[:12]}…")
    download_button(cols[3], "下载", lambda i=row.id: issued_file(engine, filters.scope, i)[1],
                    row.file_name, "已签发文件", row.doc_number, key=f"issued_{row.id}")

issue_box = st.expander("签发存档：填写文号和成文日期，生成正式文件并保存", key="issue_open",
                        on_change="rerun")  # the form is built only while it is open
if issue_box.open:
    with issue_box:
        if not current_account().may("issue"):
            st.info("只有领导和管理员可以签发存档。")
        kinds = {"circular": f"通报（{LEVEL_NAMES[level]}，按当前评分办法）"}
        if kind == "month":
            kinds["report"] = "月度分析报告（范围为侧边栏所选县或全辖区）"
        issue_kind = st.radio("文件", list(kinds), format_func=kinds.get, horizontal=True,
                              key="issue_kind")
        cols = st.columns(4)
        authority = cols[0].text_input("发文机关", value=cached_query(issuing_authority),
                                       key="issue_authority")
        doc_number = cols[1].text_input("文号", placeholder="例如 曲信联办〔2025〕12号",
                                        key="issue_number")
        issued_on = cols[2].date_input("成文日期", value=date.today(), key="issue_date")
        issued_by = cols[3].text_input("签发人", key="issue_by",
                                       value=current_account().display_name or current_account().username)
        if st.button("签发并存档", key="issue_button", type="primary",
                     disabled=not current_account().may("issue")):
            try:
                if authority.strip() and authority.strip() != cached_query(issuing_authority):
                    with engine.begin() as conn:
                        write_setting(conn, AUTHORITY_KEY, authority.strip())
                if issue_kind == "circular":
                    issue_circular(engine, period, today, doc_number, issued_on, issued_by,
                                   scheme, level, place=filters)
                else:
                    issue_report(engine, period, today, doc_number, issued_on, issued_by,
                                 place=report_place(filters.county, today, filters.scope))
            except IssueError as exc:
                audit.record(engine, current_account().username, "issue_document",
                             doc_number.strip(), {"kind": issue_kind, "period": period}, "拒绝")
                st.error(str(exc))
            else:
                audit.record(engine, current_account().username, "issue_document",
                             doc_number.strip(),
                             {"kind": issue_kind, "period": period, "issued_by": issued_by})
                clear_cached_queries()
                st.success("已签发并存档。")
                st.rerun()
