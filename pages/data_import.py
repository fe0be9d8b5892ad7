"""数据导入: the office's own case lists and boundaries, validated before one all-or-nothing write.
Each uploaded file is read once (kept by its SHA-256 in the session); every write is a batch that
can be undone."""
import pandas as pd
import streamlit as st

from data import audit
from data.importing.batches import (
    KIND_NAMES, Source, demo_case_count, has_demo_cases, list_batches, remove_demo_cases, sha256,
    undo_batch,
)
from data.importing.boundaries import plan_boundaries, property_names, read_features, write_boundaries
from data.importing.cases import (
    COLUMN_ALIASES, FIELD_LABELS, REQUIRED, check_jurisdiction, excluding, find_header, plan_import,
    write_plan,
)
from data.importing.checks import ImportRefused
from data.importing.lists import EVALUATION_LIST, KEY_CASE_LIST, plan_list, write_list
from data.importing.reading import read_table
from data.importing.regions import REGION_ALIASES, REGION_REQUIRED, plan_regions, write_regions
from ui.auth import current_account, require_permission
from ui.database import clear_cached_queries
from ui.errors import show_failure
from ui.markup import md_text, note
from ui.page import start_page
from ui.tables import MISSING

engine, filters = start_page("数据导入")
# Said here in Chinese: Streamlit's own uploader texts are English and hidden (ui/chrome.py).
UPLOAD_NOTE = "将文件拖到下方框内，或点击“选择文件”；单个文件不超过 200 MB。"
account = current_account()
require_permission(account, "import", "导入数据")
WHO = account.username or "页面"  # who imported, recorded with every batch

st.markdown(
    "上传本单位信访信息系统导出的信访件清单（.xlsx、.xls 或 .csv，UTF-8 或 GBK 编码均可）。系统自动找到表头"
    "（表头上方可以有标题行），按常用列名识别各列，逐行检查后再一次性写入；有问题的行可以改好文件重新上传，"
    "也可以勾选“跳过有问题的行”。按信访件编号更新：重复导入同一文件不会产生重复记录，导出的新状态会更新原记录。"
    "每次导入记为一个批次，可在“导入记录”中撤销。")


def waiting(message: str) -> None:
    st.info(message)


def finished() -> None:
    """After any write: cached figures and plans are stale."""
    clear_cached_queries()
    for key in [k for k in st.session_state if str(k).startswith("plan_")]:
        del st.session_state[key]


def demo_removal() -> None:
    """The one-step removal of the demo's cases, shown while the database holds any."""
    if not account.may("remove_demo"):
        return
    try:
        if not has_demo_cases(engine):
            return
    except ImportRefused as exc:
        st.error(md_text(exc))
        return
    with st.container(border=True):
        st.markdown("**当前数据库中有演示信访件。** 导入真实数据前，建议先清除演示信访件"
                    "（只删除演示数据；已导入的真实信访件、区划和单位名单都保留）。")
        confirm = st.checkbox("我确认清除全部演示信访件及其重点案件和评价记录", key="confirm_remove_demo")
        if confirm:  # counted only now: on a large database a count takes a while
            try:
                st.markdown(f"将清除 **{demo_case_count(engine):,} 件**演示信访件。")
            except ImportRefused as exc:
                st.error(md_text(exc))
        if st.button("清除演示数据", disabled=not confirm, key="remove_demo"):
            try:
                removed = remove_demo_cases(engine, on_wait=waiting)
            except ImportRefused as exc:
                st.error(md_text(exc))
            else:
                audit.record(engine, account.username, "demo_remove", "演示数据", {"cases": removed})
                finished()
                st.success(f"已清除 {removed:,} 件演示信访件。")


demo_removal()


def read_once(upload, slot: str):
    """(frame, SHA-256) of the uploaded table, read once per file content and kept in the session;
    None (after showing why) when it cannot be read."""
    content = upload.getvalue()
    digest = sha256(content)
    kept = st.session_state.get(f"read_{slot}")
    if kept is None or kept[0] != digest:
        try:
            with st.spinner(f"正在读取 {md_text(upload.name)}……"):
                kept = (digest, read_table(content, upload.name), None)
        except ImportRefused as exc:
            kept = (digest, None, str(exc))
            audit.record(engine, account.username, "import_reject", upload.name,
                         {"kind": slot, "sha256": digest, "bytes": len(content)}, "拒绝")
        st.session_state[f"read_{slot}"] = kept
    if kept[2]:
        st.error(md_text(kept[2]))
        return None
    return kept[1], digest


def planned(slot: str, key: tuple, make, file_name: str):
    """A plan kept in the session for this file and these choices (dropped after any write); each
    check is audited once, passed or refused, with the file's name and SHA-256 (key[0])."""
    kept = st.session_state.get(f"plan_{slot}")
    if kept is None or kept[0] != key:
        detail = {"kind": slot, "sha256": key[0]}
        try:
            kept = (key, make())
        except ImportRefused:
            audit.record(engine, account.username, "import_reject", file_name, detail, "拒绝")
            raise
        plan = kept[1]
        audit.record(engine, account.username, "import_check", file_name,
                     {**detail, "rows": len(plan.rows), "problems": len(plan.problems)},
                     "成功" if not plan.problems else "拒绝")
        st.session_state[f"plan_{slot}"] = kept
    return kept[1]


def import_cases(upload) -> None:
    """The case list: read, map columns, validate, then write all or nothing."""
    if upload is None:
        with st.expander("可识别的列名"):
            st.dataframe(pd.DataFrame({
                "内容": [FIELD_LABELS[f] for f in COLUMN_ALIASES],
                "可用列名": ["、".join(a) for a in COLUMN_ALIASES.values()],
                "必需": ["是" if f in REQUIRED else "" for f in COLUMN_ALIASES],
            }), hide_index=True, placeholder=MISSING, width="stretch")
        return

    read = read_once(upload, "cases")
    if read is None:
        return
    frame, digest = read
    try:
        header_row, found = find_header(frame)
    except ImportRefused as exc:
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

    try:
        plan = planned("cases", (digest, tuple(sorted(mapping.items())), header_row),
                       lambda: check_jurisdiction(engine, plan_import(engine, frame, mapping, header_row),
                                                  filters.scope.county, filters.scope.township),
                       upload.name)
    except ImportRefused as exc:
        st.error(md_text(exc))
        return
    if plan.problems:
        st.error(f"发现 {len(plan.problems):,} 个问题，涉及 {len(plan.problem_rows()):,} 行；"
                 "在处理之前不会写入任何数据。")
        st.dataframe(pd.DataFrame({
            "行号": [p.row for p in plan.problems], "列": [p.column for p in plan.problems],
            "值": [p.value for p in plan.problems], "问题": [p.message for p in plan.problems],
        }), hide_index=True, placeholder=MISSING, width="stretch", height=300)
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
                result = write_plan(engine, plan, Source(upload.name, digest, WHO), waiting)
            except ImportRefused as exc:  # the transaction rolled back: nothing was written
                st.error(md_text(exc))
            except Exception as exc:  # noqa: BLE001 - explained in Chinese, logged on the server
                show_failure(exc, "/import", prefix="导入失败，未写入任何数据。")
            else:
                audit.record(engine, account.username, "import_write", upload.name,
                             {"batch": result.batch_id, "rows": len(plan.rows)})
                finished()
                st.success(f"导入完成（第 {result.batch_id} 批）：新增 {result.inserted:,} 件，"
                           f"更新 {result.updated:,} 件，未变 {result.unchanged:,} 件。")


def checked_plan(upload, slot: str, planner):
    """(plan, source) of the file, read and planned once; shows every problem and returns None
    when anything is wrong."""
    read = read_once(upload, slot)
    if read is None:
        return None
    frame, digest = read
    try:
        plan = planned(slot, (digest,), lambda: planner(frame), upload.name)
    except ImportRefused as exc:
        st.error(md_text(exc))
        return None
    if plan.problems:
        st.error(f"发现 {len(plan.problems):,} 个问题，未写入任何数据：")
        st.dataframe(pd.DataFrame({"问题": [p.text() for p in plan.problems]}), hide_index=True,
                     placeholder=MISSING,
                     width="stretch", height=260)
        return None
    return plan, Source(upload.name, digest, WHO)


def import_list(upload, spec) -> None:
    """An evaluation or key-case list keyed on 信访件编号."""
    if upload is None:
        note(st, "可识别的列名：" + "；".join(f"{a[0]}（{'、'.join(a[1:]) or '—'}）"
                                          for a in spec.aliases.values()))
        return
    checked = checked_plan(upload, spec.kind, lambda frame: check_jurisdiction(
        engine, plan_list(engine, frame, spec), filters.scope.county, filters.scope.township))
    if checked is None:
        return
    plan, source = checked
    st.info(f"检查通过：{len(plan.rows):,} 条{spec.name}记录可以导入（同一信访件的原记录将被替换）。")
    if st.button(f"导入{spec.name}", type="primary", key=f"do_{spec.table.name}"):
        try:
            result = write_list(engine, plan, spec, source, waiting)
        except ImportRefused as exc:
            st.error(md_text(exc))
        else:
            audit.record(engine, account.username, "import_write", source.file_name,
                         {"batch": result.batch_id, "rows": len(plan.rows)})
            finished()
            st.success(f"导入完成（第 {result.batch_id} 批）：新增 {result.inserted:,} 条，"
                       f"替换 {result.updated:,} 条。")


def import_regions(upload) -> None:
    """The township and village list: new places, new township units, redrawn schematic areas."""
    if upload is None:
        note(st, "每行一个乡镇（街道）或村（社区）。乡镇代码 9 位（或 12 位、末三位为 000），村代码 12 位；"
                   "上级可由代码前几位推出，也可以填上级代码或名称。可识别的列名："
                   + "；".join(f"{a[0]}（{'、'.join(a[1:]) or '—'}）"
                              + ("，必需" if f in REGION_REQUIRED else "")
                              for f, a in REGION_ALIASES.items()))
        return
    checked = checked_plan(upload, "regions", lambda frame: plan_regions(engine, frame))
    if checked is None:
        return
    plan, source = checked
    st.info(f"检查通过：新增乡镇（街道）{plan.new_townships} 个、村（社区）{plan.new_villages} 个，"
            f"更新已有区划 {plan.updated} 个。新增的乡镇（街道）同时作为责任单位加入名单。")
    if plan.not_listed:
        st.warning(f"{len(plan.not_listed)} 个已有乡镇（街道）不在本名单中，将保留："
                   + md_text("、".join(plan.not_listed[:50])))
    if st.button("导入区划名单", type="primary", key="do_regions"):
        try:
            redrawn = write_regions(engine, plan, source, waiting)
        except ImportRefused as exc:
            st.error(md_text(exc))
            return
        audit.record(engine, account.username, "import_write", source.file_name,
                     {"rows": len(plan.rows)})
        finished()
        st.success("导入完成。" + (f"{len(redrawn)} 个县（市、区）的乡镇示意范围已按新名单重画；"
                                   "有正式边界时请在“乡镇（街道）边界”中导入。" if redrawn else ""))


def import_boundaries(upload) -> None:
    """A GeoJSON of township boundaries, replacing the schematic areas."""
    if upload is None:
        note(st, "GeoJSON 文件，每个乡镇（街道）一个面要素；按属性中的代码或名称与乡镇对应。"
                   "无效（如自相交）的边界会列出来，不会自动修复；边界按地图需要简化后保存。")
        return
    content = upload.getvalue()
    digest = sha256(content)
    gcj = st.checkbox("坐标为 GCJ-02（高德、腾讯等地图导出），转换为 WGS-84", key="geo_gcj")
    kept = st.session_state.get("read_geo")
    if kept is None or kept[0] != (digest, gcj):
        try:
            with st.spinner(f"正在读取 {upload.name}……"):
                kept = ((digest, gcj), read_features(content, gcj, upload.name), None)
        except ImportRefused as exc:
            kept = ((digest, gcj), None, str(exc))
        st.session_state["read_geo"] = kept
    if kept[2]:
        st.error(md_text(kept[2]))
        return
    features = kept[1]
    props = property_names(features)
    cols = st.columns(2)
    options = ["（无）", *props]
    name_prop = cols[0].selectbox("名称属性", options, key="geo_name", placeholder="请选择",
                                  index=next((i for i, p in enumerate(options) if "name" in p.lower()
                                              or "名称" in p), 0))
    code_prop = cols[1].selectbox("代码属性", options, key="geo_code", placeholder="请选择",
                                  index=next((i for i, p in enumerate(options) if "code" in p.lower()
                                              or "代码" in p), 0))
    try:
        plan = plan_boundaries(engine, None, None if name_prop == "（无）" else name_prop,
                               None if code_prop == "（无）" else code_prop, gcj, features=features)
    except ImportRefused as exc:
        st.error(md_text(exc))
        return
    for problem in plan.problems:
        st.error(md_text(problem.text()))
    if plan.unmatched:
        st.warning(f"{len(plan.unmatched)} 个要素对应不到乡镇（街道）：" + md_text("、".join(plan.unmatched[:50])))
    if plan.missing:
        st.warning(f"{len(plan.missing)} 个乡镇（街道）没有边界，将保留原有范围：" + md_text("、".join(plan.missing[:50])))
    if plan.matched and not plan.problems:
        st.info(f"{len(plan.matched)} 个乡镇（街道）的边界可以导入（顶点 {plan.vertices_read:,} 个，"
                f"按地图需要简化为 {plan.vertices_kept:,} 个）。")
        if st.button("导入边界", type="primary", key="do_boundaries"):
            try:
                written = write_boundaries(engine, plan, Source(upload.name, digest, WHO), waiting)
            except ImportRefused as exc:
                st.error(md_text(exc))
                return
            audit.record(engine, account.username, "import_write", upload.name, {"townships": written})
            finished()
            st.success(f"已更新 {written} 个乡镇（街道）的边界，这些区域不再标注为示意范围。")


def batch_history() -> None:
    """The latest batches, and undoing one of them as a whole."""
    try:
        rows = list_batches(engine)
    except ImportRefused as exc:
        st.error(md_text(exc))
        return
    if not rows:
        note(st, "还没有导入记录。")
        return
    st.dataframe(pd.DataFrame({
        "批次": [b.id for b in rows],
        "时间": [f"{b.created_at:%Y-%m-%d %H:%M}" for b in rows],
        "内容": [KIND_NAMES.get(b.kind, b.kind) for b in rows],
        "文件": [b.file_name for b in rows],
        "行数": [b.row_count for b in rows],
        "导入人": [b.created_by for b in rows],
        "状态": [f"已撤销（{b.undone_at:%Y-%m-%d %H:%M}）" if b.undone_at else "有效" for b in rows],
    }), hide_index=True, placeholder=MISSING, width="stretch")
    undoable = [b for b in rows if not b.undone_at and not b.is_demo]
    if not undoable:
        return
    labels = {b.id: f"第 {b.id} 批：{KIND_NAMES.get(b.kind, b.kind)} {b.file_name}（{b.row_count:,} 行）"
              for b in undoable}
    chosen = st.selectbox("撤销一个批次", list(labels), format_func=labels.get, key="undo_batch")
    confirm = st.checkbox("我确认撤销这一批导入：它新增的记录删除，修改的记录恢复原样", key="confirm_undo")
    if st.button("撤销所选批次", disabled=not confirm, key="do_undo"):
        try:
            done = undo_batch(engine, chosen, on_wait=waiting)
        except ImportRefused as exc:
            st.error(md_text(exc))
        else:
            audit.record(engine, account.username, "import_undo", f"第 {done.batch_id} 批",
                         {"removed": done.removed, "restored": done.restored})
            finished()
            st.success(f"已撤销第 {done.batch_id} 批：删除 {done.removed:,} 条、恢复 {done.restored:,} 条。")


note(st, UPLOAD_NOTE)
def region_tab(make) -> None:
    """A tab that changes the whole jurisdiction's map and figures: administrators only."""
    if not account.may("manage_accounts"):
        st.info("区划名单和边界决定全辖区的地图和统计范围，只有管理员可以导入。")
    else:
        make()


SECTIONS = {
    "信访件清单": lambda: import_cases(st.file_uploader(
        "选择信访件清单", type=["xlsx", "xls", "csv"], key="import_file")),
    "满意度评价": lambda: import_list(st.file_uploader(
        "选择满意度评价清单", type=["xlsx", "xls", "csv"], key="eval_file"), EVALUATION_LIST),
    "重点案件": lambda: import_list(st.file_uploader(
        "选择重点案件清单", type=["xlsx", "xls", "csv"], key="key_file"), KEY_CASE_LIST),
    "乡镇和村名单": lambda: region_tab(lambda: import_regions(st.file_uploader(
        "选择乡镇（街道）和村（社区）名单", type=["xlsx", "xls", "csv"], key="region_file"))),
    "乡镇（街道）边界": lambda: region_tab(lambda: import_boundaries(st.file_uploader(
        "选择乡镇边界 GeoJSON", type=["geojson", "json"], key="geo_file"))),
    "导入记录": batch_history,
}
# Only the open tab is built: a file chooser is one of the costliest elements for the browser to
# draw, and six tabs' worth were drawn at every visit for the one in use.
for tab, section in zip(st.tabs(list(SECTIONS), key="import_section", on_change="rerun"),
                        SECTIONS.values()):
    if tab.open:
        with tab:
            section()
