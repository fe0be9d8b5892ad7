"""The ranking as an Excel sheet and the draft circular (通报) as a Word document."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from exports.excel import COUNT_CHANGE, SCORE, Sheet, workbook_bytes
from exports.official_doc import Issue, OfficialDocument
from queries.filters import Filters, parse_period, period_filters, previous_period
from queries.ranking import RATE_INDICATORS, RankingScheme, read_scheme, township_ranking
from queries.reference import default_authority, issuing_authority, region_names, scope_name
from queries.scope import Scope

LEVEL_NAMES = {"township": "乡镇（街道）", "county": "县（市、区）", "unit": "责任单位"}
ESCALATIONS = {"to_city": "到市访", "to_province": "到省访", "to_beijing": "进京访"}
PERCENT_COLUMNS = tuple(label for label, _better in RATE_INDICATORS.values()) + ("候选稳健度",)


def ranking_table(frame: pd.DataFrame, names: dict[str, str], level: str = "township") -> pd.DataFrame:
    """The ranking with Chinese headers, in rank order."""
    table = pd.DataFrame({
        "排名": frame["rank"],
        LEVEL_NAMES[level]: frame["entity_name"],
        "县（市、区）": [names.get(c, "") if isinstance(c, str) else "" for c in frame["county_code"]],
        "综合得分": frame["score"].where(frame["ranked"]),
        "排名变化": frame["rank_change"],
        "信访件数": frame["case_count"],
    })
    for key, (label, _better) in RATE_INDICATORS.items():
        table[label] = frame[f"{key}_pct"].round(1)
        table[f"{label}排名"] = frame[f"{key}_rank"]
    for kind, label in ESCALATIONS.items():
        table[f"{label}（件）"] = frame[f"{kind}_count"]
        table[f"{label}（人次）"] = frame[f"{kind}_person_count"]
    table["集体访（批次）"] = frame["collective_count"]
    table["通报候选"] = ["是" if b else "" for b in frame["bulletin"]]
    table["挂牌督办候选"] = ["是" if s else "" for s in frame["supervise"]]
    table["候选稳健度"] = (100.0 * frame["stability"].astype(float)).round(1)
    table["理由"] = frame["reason"]
    if level == "county":
        table = table.drop(columns=["县（市、区）"])
    return table


def ranking_workbook(table: pd.DataFrame, title: str, method: str) -> bytes:
    return workbook_bytes([Sheet(
        "排名", title, table, percent_columns=PERCENT_COLUMNS,
        formats={"综合得分": SCORE, "排名变化": COUNT_CHANGE},
        highlight_rows=list((table["通报候选"] == "是") | (table["挂牌督办候选"] == "是")),
        note=method + " 标红为通报或挂牌督办候选。")])


CIRCULAR_HEADERS = ["名称", "排名", "综合得分", "按期办结率（%）", "满意率（%）", "进京访", "理由"]
# Millimetres over the 156 mm type area; 理由 keeps thirteen 小四 characters a line.
CIRCULAR_WIDTHS_MM = [30, 11, 15, 16, 16, 12, 56]


def worst_first(named: pd.DataFrame) -> pd.DataFrame:
    """The named units, worst first: ranked ones from the last rank up, then unranked ones
    (named for a 进京 petition) by their 进京 count."""
    ranked = named[named["ranked"]].sort_values(["rank", "score"], ascending=[False, True])
    unranked = named[~named["ranked"]].sort_values(["to_beijing_count", "score"],
                                                   ascending=[False, True])
    return pd.concat([ranked, unranked])


def circular_rows(named: pd.DataFrame, names: dict[str, str], level: str) -> list[list[str]]:
    rows = []
    for row in worst_first(named).itertuples():
        county = (names.get(row.county_code, "") if isinstance(row.county_code, str)
                  and level == "township" else "")
        rows.append([f"{county}{row.entity_name}", "—" if pd.isna(row.rank) else str(row.rank),
                     f"{row.score:.2f}",
                     "—" if pd.isna(row.ontime_close_pct) else f"{row.ontime_close_pct:.1f}",
                     "—" if pd.isna(row.satisfaction_pct) else f"{row.satisfaction_pct:.1f}",
                     f"{row.to_beijing_count}件", row.reason + ("；建议挂牌督办" if row.supervise else "")])
    return rows


def circular_title(period_label: str) -> str:
    return f"关于{period_label}信访工作情况的通报"


def circular_docx(frame: pd.DataFrame, jurisdiction: str, period_label: str, method: str,
                  names: dict[str, str], level: str = "township", authority: str | None = None,
                  issue: Issue = Issue()) -> bytes:
    """The circular as a 公文: 版头 with 文号, title, the method, the named units worst first with
    their figures and reasons, requirements, 发文机关 and 成文日期 (placeholders until issued)."""
    authority = authority or default_authority(jurisdiction)
    doc = OfficialDocument()
    doc.masthead(authority, issue.doc_number)
    doc.title(circular_title(period_label) + ("（草稿）" if issue.is_draft else ""))
    doc.paragraph(f"各{LEVEL_NAMES[level]}：", indent=False)
    named = frame[frame["bulletin"]]
    ranked = int(frame["ranked"].sum())
    doc.body(f"根据{jurisdiction}信访信息系统数据，现将{period_label}{ranked}个"
             f"{LEVEL_NAMES[level]}信访工作综合排名情况通报如下。")
    doc.heading1("一、评价办法")
    doc.body(method)
    doc.heading1("二、通报对象")
    if named.empty:
        doc.body("本期没有需要通报的单位。")
    else:
        supervise = int(named["supervise"].sum())
        doc.body(f"本期共有{len(named)}个{LEVEL_NAMES[level]}列入通报"
                 + (f"，其中{supervise}个建议挂牌督办" if supervise else "")
                 + "，按排名从后往前列示如下：")
        doc.table(CIRCULAR_HEADERS, circular_rows(named, names, level), CIRCULAR_WIDTHS_MM)
    doc.heading1("三、工作要求")
    doc.body("被通报单位要认真分析原因，逐件落实整改措施，于通报下发之日起15日内将整改情况书面报送；"
             "列入挂牌督办的单位由包案领导牵头，限期完成整改销号。")
    doc.signature(authority, issue.issued_on)
    return doc.to_bytes()


def ranking_report(engine: Engine, period: str, today, fmt: str, level: str = "township",
                   scheme: RankingScheme | None = None, issue: Issue = Issue(), *,
                   place: Filters | Scope) -> bytes:
    """The ranking of a period ('2025-06', '2025-Q2', '2025') as 'xlsx' or 'docx' bytes, over the
    scope (and place) of `place`."""
    scheme = scheme or read_scheme(engine)
    _start, _end, label = parse_period(period)
    frame = township_ranking(engine, period_filters(period, today, place),
                             period_filters(previous_period(period), today, place), scheme, level)
    names = region_names(engine)
    jurisdiction = scope_name(engine, place if isinstance(place, Scope) else place.scope)
    if fmt == "xlsx":
        return ranking_workbook(ranking_table(frame, names, level),
                                f"{jurisdiction}{label}{LEVEL_NAMES[level]}信访工作综合排名",
                                scheme.describe())
    if fmt == "docx":
        return circular_docx(frame, jurisdiction, label, scheme.describe(), names, level,
                             issuing_authority(engine), issue)
    raise ValueError(f"不支持的导出格式：{fmt}（可选 xlsx 或 docx）")
