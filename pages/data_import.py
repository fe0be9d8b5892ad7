"""数据导入: the office's own case lists and boundaries, validated before one all-or-nothing write."""
import json

import pandas as pd
import streamlit as st

from data.importer import (
    COLUMN_ALIASES, EVALUATION_LIST, FIELD_LABELS, KEY_CASE_LIST, REQUIRED, ImportError_, excluding,
    find_header, plan_boundaries, plan_import, plan_list, read_table, remove_demo_cases,
    write_boundaries, write_list, write_plan,
)
from data.region_import import REGION_ALIASES, REGION_REQUIRED, plan_regions, write_regions
from queries.reference import is_demo_data
from data import audit
from ui.auth import current_account, require_permission
from ui.database import cached_query, clear_cached_queries
from ui.errors import show_failure
from ui.markup import md_text
from ui.page import start_page

engine, filters = start_page("数据导入")
# Said here in Chinese: Streamlit's own uploader texts are English and hidden (ui/chrome.py).
UPLOAD_NOTE = "将文件拖到下方框内，或点击“选择文件”；单个文件不超过 200 MB。"
account = current_account()
require_permission(account, "import", "导入数据")

st.markdown(
    "上传本单位信访信息系统导出的信访件清单（.xlsx、.xls 或 .csv，UTF-8 或 GBK 编码均可）。系统自动找到表头"
    "（表头上方可以有标题行），按常用列名识别各列，逐行检查后再一次性写入；有问题的行可以改好文件重新上传，"
    "也可以勾选“跳过有问题的行”。按信访件编号更新：重复导入同一文件不会产生重复记录，导出的新状态会更新原记录。")

if cached_query(is_demo_data) and account.may("remove_demo"):
    with st.container(border=True):
        st.markdown("**当前数据库中是演示数据。** 导入真实数据前，建议先清除演示信访件"
                    "（保留区划和单位名单，真实数据按乡镇名称或代码对应）。")
        confirm = st.checkbox("我确认清除全部演示信访件、重点案件和评价记录", key="confirm_remove_demo")
        if st.button("清除演示数据", disabled=not confirm, key="remove_demo"):
            removed = remove_demo_cases(engine)
            audit.record(engine, account.username, "demo_remove", "演示数据", {"cases": removed})
            clear_cached_queries()
            st.success(f"已清除 {removed:,} 件演示信访件。")


def import_cases(upload) -> None:
    """The case list: read, map columns, validate, then write all or nothing."""
    if upload is None:
        with st.expander("可识别的列名"):
            st.dataframe(pd.DataFrame({
                "内容": [FIELD_LABELS[f] for f in COLUMN_ALIASES],
                "可用列名": ["、".join(a) for a in COLUMN_ALIASES.values()],
                "必需": ["是" if f in REQUIRED else "" for f in COLUMN_ALIASES],
            }), hide_index=True, width="stretch")
        return

    try:
        frame = read_table(upload.getvalue(), upload.name)
        header_row, found = find_header(frame)
    except ImportError_ as exc:
        st.error(md_text(exc))
        return

    headers = [str(v).strip() if pd.notna(v) else "" for v in frame.iloc[header_row]]
    st.success(f"读取 {md_text(upload.name)}：表头在第 {int(frame.index[header_row]) + 1} 行，"
               f"数据 {len(frame) - header_row - 1:,} 行。")
    with st.expander("列的对应关系（未识别的列可以手工指定）", expanded=any(f not in found for f in REQUIRED)):
        mapping = {}
        cols = st.columns(4)
        for i, field_name in enumerate(COLUMN_ALIASES):
            options = ["（不导入）", *[h for h in headers if h]]
            current = found.get(field_name)
            choice = cols[i % 4].selectbox(
                FIELD_LABELS[field_name] + ("（必需）" if field_name in REQUIRED else ""), options,
                index=options.index(current) if current in options else 0, key=f"map_{field_name}",
                placeholder="请选择")
            if choice != "（不导入）":
                mapping[field_name] = choice

    plan = plan_import(engine, frame, mapping, header_row)
    if plan.problems:
        st.error(f"发现 {len(plan.problems):,} 个问题，涉及 {len(plan.problem_rows()):,} 行；"
                 "在处理之前不会写入任何数据。")
        st.dataframe(pd.DataFrame({
            "行号": [p.row for p in plan.problems], "列": [p.column for p in plan.problems],
            "值": [p.value for p in plan.problems], "问题": [p.message for p in plan.problems],
        }), hide_index=True, width="stretch", height=300)
        if plan.unknown_townships:
            st.warning("以下问题属地不在乡镇（街道）名单中：" + md_text("、".join(plan.unknown_townships[:50])))
        skip = st.checkbox(f"跳过有问题的 {len(plan.problem_rows()):,} 行，只导入其余 {len(plan.rows):,} 行",
                           key="skip_bad_rows",
                           disabled=any(p.row is None for p in plan.problems))
        if skip:
            plan = excluding(plan, plan.problem_rows())
    if plan.ok:
        st.info(f"检查通过：{len(plan.rows):,} 件可以导入，其中带满意度评价 {len(plan.evaluations):,} 件。")
        if st.button("导入", type="primary", key="do_import"):
            try:
                result = write_plan(engine, plan)
            except Exception as exc:  # the transaction rolled back: nothing was written
                show_failure(exc, "/import", prefix="导入失败，未写入任何数据。")
            else:
                clear_cached_queries()
                st.success(f"导入完成：新增 {result.inserted:,} 件，更新 {result.updated:,} 件，"
                           f"未变 {result.unchanged:,} 件。")


def checked_plan(upload, planner):
    """Reads the file and plans it; shows every problem and returns None when anything is wrong."""
    try:
        plan = planner(read_table(upload.getvalue(), upload.name))
    except ImportError_ as exc:
        st.error(md_text(exc))
        return None
    if plan.problems:
        st.error(f"发现 {len(plan.problems):,} 个问题，未写入任何数据：")
        st.dataframe(pd.DataFrame({"问题": [p.text() for p in plan.problems]}), hide_index=True,
                     width="stretch", height=260)
        return None
    return plan


def import_list(upload, spec) -> None:
    """An evaluation or key-case list keyed on 信访件编号."""
    if upload is None:
        st.caption("可识别的列名：" + "；".join(f"{a[0]}（{'、'.join(a[1:]) or '—'}）"
                                          for a in spec.aliases.values()))
        return
    plan = checked_plan(upload, lambda frame: plan_list(engine, frame, spec))
    if plan is None:
        return
    st.info(f"检查通过：{len(plan.rows):,} 条{spec.name}记录可以导入（同一信访件的原记录将被替换）。")
    if st.button(f"导入{spec.name}", type="primary", key=f"do_{spec.table.name}"):
        result = write_list(engine, plan, spec)
        clear_cached_queries()
        st.success(f"导入完成：新增 {result.inserted:,} 条，替换 {result.updated:,} 条。")


def import_regions(upload) -> None:
    """The township and village list: new places, new township units, redrawn schematic areas."""
    if upload is None:
        st.caption("每行一个乡镇（街道）或村（社区）。乡镇代码 9 位（或 12 位、末三位为 000），村代码 12 位；"
                   "上级可由代码前几位推出，也可以填上级代码或名称。可识别的列名："
                   + "；".join(f"{a[0]}（{'、'.join(a[1:]) or '—'}）"
                              + ("，必需" if f in REGION_REQUIRED else "")
                              for f, a in REGION_ALIASES.items()))
        return
    plan = checked_plan(upload, lambda frame: plan_regions(engine, frame))
    if plan is None:
        return
    st.info(f"检查通过：新增乡镇（街道）{plan.new_townships} 个、村（社区）{plan.new_villages} 个，"
            f"更新已有区划 {plan.updated} 个。新增的乡镇（街道）同时作为责任单位加入名单。")
    if plan.not_listed:
        st.warning(f"{len(plan.not_listed)} 个已有乡镇（街道）不在本名单中，将保留："
                   + md_text("、".join(plan.not_listed[:50])))
    if st.button("导入区划名单", type="primary", key="do_regions"):
        redrawn = write_regions(engine, plan)
        clear_cached_queries()
        st.success("导入完成。" + (f"{len(redrawn)} 个县（市、区）的乡镇示意范围已按新名单重画；"
                                   "有正式边界时请在“乡镇（街道）边界”中导入。" if redrawn else ""))


def import_boundaries(upload) -> None:
    """A GeoJSON of township boundaries, replacing the schematic areas."""
    if upload is None:
        st.caption("GeoJSON 文件，每个乡镇（街道）一个面要素；按属性中的代码或名称与乡镇对应。")
        return
    content = upload.getvalue()
    try:
        sample = json.loads(content.decode("utf-8-sig"))
        props = sorted({k for f in sample.get("features", [])[:50] for k in (f.get("properties") or {})})
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        st.error("不是有效的 GeoJSON 文件（应为 UTF-8 编码的 FeatureCollection）。")
        return
    cols = st.columns(3)
    options = ["（无）", *props]
    name_prop = cols[0].selectbox("名称属性", options, key="geo_name", placeholder="请选择",
                                  index=next((i for i, p in enumerate(options) if "name" in p.lower()
                                              or "名称" in p), 0))
    code_prop = cols[1].selectbox("代码属性", options, key="geo_code", placeholder="请选择",
                                  index=next((i for i, p in enumerate(options) if "code" in p.lower()
                                              or "代码" in p), 0))
    gcj = cols[2].checkbox("坐标为 GCJ-02（高德、腾讯等地图导出），转换为 WGS-84", key="geo_gcj")
    plan = plan_boundaries(engine, content, None if name_prop == "（无）" else name_prop,
                           None if code_prop == "（无）" else code_prop, gcj)
    for problem in plan.problems:
        st.error(md_text(problem.text()))
    if plan.unmatched:
        st.warning(f"{len(plan.unmatched)} 个要素对应不到乡镇（街道）：" + md_text("、".join(plan.unmatched[:50])))
    if plan.missing:
        st.warning(f"{len(plan.missing)} 个乡镇（街道）没有边界，将保留原有范围：" + md_text("、".join(plan.missing[:50])))
    if plan.matched and not plan.problems:
        st.info(f"{len(plan.matched)} 个乡镇（街道）的边界可以导入。")
        if st.button("导入边界", type="primary", key="do_boundaries"):
            written = write_boundaries(engine, plan)
            clear_cached_queries()
            st.success(f"已更新 {written} 个乡镇（街道）的边界，这些区域不再标注为示意范围。")


st.caption(UPLOAD_NOTE)
tabs = st.tabs(["信访件清单", "满意度评价", "重点案件", "乡镇和村名单", "乡镇（街道）边界"])
with tabs[0]:
    import_cases(st.file_uploader("选择信访件清单", type=["xlsx", "xls", "csv"], key="import_file"))
with tabs[1]:
    import_list(st.file_uploader("选择满意度评价清单", type=["xlsx", "xls", "csv"], key="eval_file"),
                EVALUATION_LIST)
with tabs[2]:
    import_list(st.file_uploader("选择重点案件清单", type=["xlsx", "xls", "csv"], key="key_file"),
                KEY_CASE_LIST)
with tabs[3]:
    if not account.may("manage_accounts"):
        st.info("区划名单和边界决定全辖区的地图和统计范围，只有管理员可以导入。")
    else:
        import_regions(st.file_uploader("选择乡镇（街道）和村（社区）名单", type=["xlsx", "xls", "csv"],
                                    key="region_file"))
with tabs[4]:
    if not account.may("manage_accounts"):
        st.info("区划名单和边界决定全辖区的地图和统计范围，只有管理员可以导入。")
    else:
        import_boundaries(st.file_uploader("选择乡镇边界 GeoJSON", type=["geojson", "json"], key="geo_file"))
