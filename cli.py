"""信访督导看板 command line: demo data, migrations, scheduled exports."""
from __future__ import annotations

import logging
import sys
import time
from datetime import date
from pathlib import Path
from typing import Optional

import click
import typer
from typer.core import TyperGroup

from data.database import (
    PROJECT_DIR, DatabaseError, check_connection, database_url, make_engine, migrate,
)

LOG_PATH = PROJECT_DIR / "data" / "cli-errors.log"  # unexpected failures of commands, git-ignored


class _ExplainedGroup(TyperGroup):
    """Every command runs through here: an unexpected failure ends in a Chinese message and exit
    code 2, its details (no personal data, see data/failures.py) in LOG_PATH, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (typer.Exit, click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - the one place that explains them
            typer.echo(f"错误：{_explain(exc, ctx)}", err=True)
            raise typer.Exit(code=2)


def _explain(exc: BaseException, ctx: click.Context) -> str:
    import logging

    from data.failures import LOGGER, explain

    try:
        LOG_PATH.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(LOG_PATH, encoding="utf-8")
        place = str(LOG_PATH)
    except OSError:
        handler, place = logging.NullHandler(), "（日志文件无法写入）"
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    LOGGER.addHandler(handler)
    try:
        return explain(exc, f"cli.py {ctx.invoked_subcommand or ''}".strip(), log_place="日志 " + place)
    finally:
        LOGGER.removeHandler(handler)
        handler.close()


app = typer.Typer(help="信访督导看板命令行工具", no_args_is_help=True, add_completion=False,
                  cls=_ExplainedGroup, pretty_exceptions_enable=False)


def _engine(url: Optional[str]):
    engine = make_engine(url or database_url())
    check_connection(engine)
    return engine


def _fail(message: str) -> None:
    typer.echo(f"错误：{message}", err=True)
    raise typer.Exit(code=2)


def _scope(engine, user: Optional[str]):
    """The jurisdiction of --user (its account must exist and be enabled); the whole database
    when no --user is given (the server's shell is trusted)."""
    from data.accounts import get_account
    from queries.scope import EVERYTHING, ScopeError, scope_of_region

    if not user:
        return EVERYTHING
    account = get_account(engine, user)
    if account is None:
        _fail(f"没有名为“{user}”的可用账号")
    try:
        return scope_of_region(engine, account.region_code)
    except ScopeError as exc:
        _fail(str(exc))


USER_OPTION = typer.Option(None, "--user", help="按该账号的辖区输出（默认全库）")


def _parse_day(text: Optional[str], option: str) -> Optional[date]:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(f"{option} 的日期“{text}”格式不对，应为 YYYY-MM-DD")


@app.command()
def demo(
    url: Optional[str] = typer.Option(None, help="数据库地址；默认取 DATABASE_URL 或 data/ 下的 SQLite 文件"),
    profile: str = typer.Option("city", help="city（仿曲靖市）或 county（仿宜阳县）"),
    cases: Optional[int] = typer.Option(None, help="案件总数；默认市约 2 万件/年、县约 9 千件/年，共三年"),
    seed: int = typer.Option(20240601, help="随机种子，同一种子生成相同数据"),
    end: Optional[str] = typer.Option(None, help="数据截止日期 YYYY-MM-DD，默认今天"),
    plant_clusters: int = typer.Option(0, help="额外植入的已知聚集事件个数（用于检验预警）"),
    remove: bool = typer.Option(False, "--remove", help="清除演示信访件（只删演示数据，保留导入的真实数据）"),
    finish: bool = typer.Option(False, "--finish", help="只补齐首次启动时留待后台生成的较早月份的演示数据"),
    after: int = typer.Option(0, "--after", min=0, max=3600, help="与 --finish 同用：先等待的秒数"),
) -> None:
    """生成演示数据（会替换已有的演示数据，不会覆盖真实数据）；--remove 清除演示信访件。"""
    from data.demo import finish_demo, generate

    if remove:
        from data.importing.batches import remove_demo_cases
        from data.importing.checks import ImportRefused

        try:
            engine = _engine(url)
            migrate(engine)
            removed = remove_demo_cases(engine, on_wait=lambda m: typer.echo(m, err=True))
        except (DatabaseError, ImportRefused) as exc:
            _fail(str(exc))
        typer.echo(f"已清除 {removed:,} 件演示信访件（导入的真实数据、区划和单位名单均保留）。")
        return
    end_day = _parse_day(end, "--end")
    if finish:
        time.sleep(after)
        try:
            started = time.perf_counter()
            written = finish_demo(_engine(url))
        except (DatabaseError, ValueError, RuntimeError) as exc:
            _fail(str(exc))
        typer.echo(f"已补齐演示数据：信访件 {written:,} 件，用时 {time.perf_counter() - started:.1f} 秒。")
        return
    try:
        engine = _engine(url)
        started = time.perf_counter()
        summary = generate(engine, profile=profile, cases=cases, seed=seed, end=end_day,
                           plant_clusters=plant_clusters)
    except (DatabaseError, ValueError, RuntimeError) as exc:
        _fail(str(exc))
    typer.echo(
        f"已生成演示数据（{summary.profile}）：区划 {summary.regions} 个，其中乡镇（街道）"
        f"{summary.townships} 个、村（社区）{summary.villages} 个；责任单位 {summary.units} 个，"
        f"其中部门 {summary.departments} 个；信访件 {summary.cases:,} 件，重点案件 "
        f"{summary.key_cases:,} 件，评价 {summary.evaluations:,} 条，办理记录 {summary.events:,} 条。"
        f"用时 {time.perf_counter() - started:.1f} 秒。")
    from data.accounts import add_demo_accounts, announce_accounts, ensure_first_admin

    announce_accounts(ensure_first_admin(engine) + add_demo_accounts(engine))


@app.command()
def serve(
    port: int = typer.Option(8501, help="端口"),
    address: str = typer.Option("localhost", help="监听地址；局域网访问用 0.0.0.0"),
    headless: bool = typer.Option(False, help="不自动打开浏览器"),
) -> None:
    """启动看板（等同于 streamlit run app.py，另外保证首次打开任一页面网址都直接显示该页）。"""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli as streamlit_cli

    from data.accounts import add_demo_accounts, announce_accounts, ensure_first_admin
    from data.database import is_default_url

    # Create and migrate the database (and the demo, on the embedded default) before the server
    # starts, so the first page opens at once and the passwords created are printed here.
    url = database_url()
    try:
        engine = _engine(url)
        migrate(engine)
        if is_default_url(url) and not engine.connect().exec_driver_sql(
                "SELECT 1 FROM regions LIMIT 1").first():
            from data.demo import first_start

            typer.echo("首次启动：正在创建数据库并生成当月和上个月的演示数据……")
            first_start(engine)
            announce_accounts(ensure_first_admin(engine) + add_demo_accounts(engine))
        announce_accounts(ensure_first_admin(engine))
        from data.demo import finish_in_background, pending_before

        if pending_before(engine):
            typer.echo("更早月份的演示数据正在后台生成（一两分钟），完成后近一年的数字和同比数字随之补齐。")
            finish_in_background(url)
        engine.dispose()
    except DatabaseError as exc:
        _fail(str(exc))

    # app.py routes every page with st.navigation; without this, Streamlit treats pages/ as its
    # old page folder until the first run has called st.navigation.
    PagesManager.uses_pages_directory = False
    from ui import warmup

    warmup.start()
    shown = "localhost" if address in ("0.0.0.0", "::") else address
    typer.echo(f"看板正在启动，浏览器打开 http://{shown}:{port}"
               + ("（局域网内其他电脑用本机的 IP 地址）" if address in ("0.0.0.0", "::") else "")
               + "；按 Ctrl+C 停止。")
    sys.argv = ["streamlit", "run", str(Path(__file__).resolve().parent / "app.py"),
                "--server.port", str(port), "--server.address", address,
                "--server.headless", str(headless).lower()]
    streamlit_cli.main()


@app.command("import")
def import_command(
    file: Optional[Path] = typer.Argument(None, help="要导入的文件：.xlsx、.xls、.csv，边界为 .geojson"),
    kind: str = typer.Option("cases", help="文件内容：cases 信访件清单，evaluations 满意度评价，"
                             "key-cases 重点案件，regions 乡镇和村名单，boundaries 乡镇边界 GeoJSON"),
    url: Optional[str] = typer.Option(None, help="数据库地址"),
    dry_run: bool = typer.Option(False, "--dry-run", help="只检查，不写入"),
    name_property: Optional[str] = typer.Option(None, help="边界文件中乡镇名称的属性名"),
    code_property: Optional[str] = typer.Option(None, help="边界文件中乡镇代码的属性名"),
    gcj02: bool = typer.Option(False, "--gcj02", help="边界坐标为 GCJ-02，转换为 WGS-84"),
    list_batches: bool = typer.Option(False, "--list", help="列出最近的导入批次"),
    undo: Optional[int] = typer.Option(None, "--undo", help="撤销一个导入批次（填批次编号）"),
    who: str = typer.Option("cli", help="导入人（记入导入批次）"),
) -> None:
    """导入数据：先逐行检查，有任何问题则不写入（退出码 1）；信访件按编号更新已有记录。
    每次导入是一个批次，可用 --list 查看、--undo 撤销。"""
    try:
        _import(file, kind, url, dry_run, name_property, code_property, gcj02, list_batches, undo,
                who)
    except typer.Exit:
        raise
    except Exception as exc:  # noqa: BLE001 - never a traceback, never a row's values
        logging.getLogger("cli").error("import failed: %s", exc.__class__.__name__)
        typer.echo("错误：导入时发生意外错误，未写入任何数据（详情已记入日志）。", err=True)
        raise typer.Exit(code=1)


def _import(file, kind, url, dry_run, name_property, code_property, gcj02, list_batches, undo,
            who) -> None:
    from data.importing import batches, boundaries, cases, lists, reading, regions
    from data.importing.checks import ImportRefused

    def waiting(message: str) -> None:
        typer.echo(message, err=True)

    if list_batches or undo is not None:
        try:
            engine = _engine(url)
            migrate(engine)
            if undo is not None:
                done = batches.undo_batch(engine, undo, on_wait=waiting)
                typer.echo(f"已撤销第 {done.batch_id} 批（{batches.KIND_NAMES.get(done.kind, done.kind)}）："
                           f"删除 {done.removed:,} 条、恢复 {done.restored:,} 条。")
                return
            rows = batches.list_batches(engine)
        except (DatabaseError, ImportRefused) as exc:
            typer.echo(f"错误：{exc}", err=True)
            raise typer.Exit(code=1)
        for b in rows:
            state = f"已撤销 {b.undone_at:%Y-%m-%d %H:%M}" if b.undone_at else "有效"
            typer.echo(f"{b.id}\t{b.created_at:%Y-%m-%d %H:%M:%S}\t"
                       f"{batches.KIND_NAMES.get(b.kind, b.kind)}\t{b.file_name}\t{b.row_count:,} 行\t"
                       f"{b.created_by}\t{state}\tSHA-256 {b.file_sha256[:12]}")
        if not rows:
            typer.echo("还没有导入批次。")
        return
    kinds = ("cases", "evaluations", "key-cases", "regions", "boundaries")
    if kind not in kinds:
        _fail(f"--kind 应为 {'、'.join(kinds)} 之一")
    if file is None:
        _fail("请指定要导入的文件（或用 --list、--undo）")
    if not file.exists():
        _fail(f"文件不存在：{file}")
    content = file.read_bytes()
    source = batches.Source.of(file.name, content, who)
    lists_by_kind = {"evaluations": lists.EVALUATION_LIST, "key-cases": lists.KEY_CASE_LIST}
    try:
        engine = _engine(url)
        migrate(engine)
        if kind == "boundaries":
            if not (name_property or code_property):
                _fail("边界文件需要 --name-property 或 --code-property")
            plan = boundaries.plan_boundaries(engine, content, name_property, code_property, gcj02)
            for label in plan.unmatched[:50]:
                typer.echo(f"对应不到乡镇（街道）的要素：{label}", err=True)
        else:
            frame = reading.read_table(content, file.name)
            plan = (cases.plan_import(engine, frame) if kind == "cases"
                    else regions.plan_regions(engine, frame) if kind == "regions"
                    else lists.plan_list(engine, frame, lists_by_kind[kind]))
        if plan.problems:
            for problem in plan.problems[:200]:
                typer.echo(problem.text(), err=True)
            more = len(plan.problems) - 200
            typer.echo((f"……另有 {more} 个问题\n" if more > 0 else "")
                       + f"文件被拒绝：共 {len(plan.problems)} 个问题，未写入任何数据。", err=True)
            raise typer.Exit(code=1)
        size = len(plan.matched) if kind == "boundaries" else len(plan.rows)
        if dry_run:
            typer.echo(f"检查通过：{size:,} {'件' if kind == 'cases' else '条'}可以导入（未写入，--dry-run）。")
            return
        if kind == "cases":
            result = cases.write_plan(engine, plan, source, waiting)
            typer.echo(f"导入完成（第 {result.batch_id} 批）：新增 {result.inserted:,} 件，"
                       f"更新 {result.updated:,} 件，未变 {result.unchanged:,} 件。")
        elif kind == "regions":
            redrawn = regions.write_regions(engine, plan, source, waiting)
            typer.echo(f"导入完成：新增乡镇（街道）{plan.new_townships} 个、村（社区）{plan.new_villages} 个，"
                       f"更新 {plan.updated} 个" + (f"；重画了 {len(redrawn)} 个县的示意范围" if redrawn else "")
                       + "。")
        elif kind == "boundaries":
            written = boundaries.write_boundaries(engine, plan, source, waiting)
            typer.echo(f"导入完成：更新 {written} 个乡镇（街道）的边界（顶点 {plan.vertices_read:,} 个，"
                       f"简化后 {plan.vertices_kept:,} 个）。")
        else:
            result = lists.write_list(engine, plan, lists_by_kind[kind], source, waiting)
            typer.echo(f"导入完成（第 {result.batch_id} 批）：新增 {result.inserted:,} 条，"
                       f"替换 {result.updated:,} 条。")
    except (DatabaseError, ImportRefused) as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(code=1)


@app.command()
def rollup(url: Optional[str] = typer.Option(None, help="数据库地址")) -> None:
    """重算汇总表（信访件由其他系统直接写入数据库后执行；本系统的导入会自动更新）。"""
    from data.rollups import rebuild_all

    try:
        engine = _engine(url)
        migrate(engine)
        started = time.perf_counter()
        rebuild_all(engine)
    except DatabaseError as exc:
        _fail(str(exc))
    typer.echo(f"汇总表已重算，用时 {time.perf_counter() - started:.1f} 秒。")


@app.command()
def bench(
    cases: int = typer.Option(..., help="信访件数量，例如 1000000"),
    url: Optional[str] = typer.Option(None, help="数据库地址；默认 data/bench-<件数>.db（SQLite）"),
    as_json: bool = typer.Option(False, "--json", help="输出一行 JSON"),
    seed: int = typer.Option(20240601, help="生成数据时的随机种子"),
    sessions: int = typer.Option(20, help="同时浏览的会话数"),
    walk_seconds: int = typer.Option(120, help="多会话同时浏览的时长（秒）"),
    think_seconds: float = typer.Option(10.0, help="多会话浏览时每页平均停留的秒数（各次在一半到一倍半"
                                        "之间随机）；0 为不停留，连续切换页面"),
    import_rows: int = typer.Option(100_000, help="计时导入的清单行数"),
    repeats: int = typer.Option(5, min=1, help="浏览器计时时每个页面进入的次数（取中位数）"),
    only: Optional[str] = typer.Option(None, help="只测其中几项，逗号分隔：pages,search,browser,"
                                       "concurrent,import,first_start（pages 含 search）"),
) -> None:
    """在指定规模的数据上计时：各页面典型视图（近一年、全辖区、不用缓存）的查询和整页脚本，全表
    GROUP BY 和全表读入 pandas 两个基准；浏览器中切换页面的时间（及只显示一行字的基准页面）、多个会话同时
    浏览、导入一年的清单、首次启动。库中件数不符时先生成演示数据（市级）。"""
    from sqlalchemy import text

    from data.database import PROJECT_DIR
    from data.demo import generate
    from ui import bench as bench_module

    url = url or f"sqlite:///{PROJECT_DIR / 'data' / f'bench-{cases}.db'}"
    try:
        engine = _engine(url)
        migrate(engine)
        with engine.connect() as conn:
            present = conn.execute(text("SELECT COUNT(*) FROM cases")).scalar()
        if present != cases:
            # Beyond two million the generator's rows do not fit in memory at once: generate a
            # tenth (or less) and copy it with new case numbers.
            copies = max(0, -(-cases // 1_000_000) - 1) if cases > 2_000_000 else 0
            base = cases // (copies + 1)
            typer.echo(f"生成 {base:,} 件演示数据" + (f"，再复制 {copies} 份" if copies else "")
                       + "……", err=True)
            generate(engine, profile="city", cases=base, seed=seed, rollup=not copies)
            if copies:
                from data.demo import scale_up

                scale_up(engine, copies)
            with engine.connect() as conn:
                cases = conn.execute(text("SELECT COUNT(*) FROM cases")).scalar()
        parts = tuple(p.strip() for p in only.split(",")) if only else (
            "pages", "browser", "concurrent", "import", "first_start")
        result = bench_module.run(url, cases, engine.dialect.name, sessions=sessions,
                                  walk_seconds=walk_seconds, think_seconds=think_seconds,
                                  import_rows=import_rows, repeats=repeats, parts=parts)
    except (DatabaseError, ValueError, RuntimeError) as exc:
        _fail(str(exc))
    if as_json:
        import json

        typer.echo(json.dumps(result, ensure_ascii=False))
    else:
        typer.echo(bench_module.table(result))


@app.command("migrate")
def migrate_command(url: Optional[str] = typer.Option(None, help="数据库地址")) -> None:
    """创建或升级数据库结构（可重复执行）。"""
    try:
        migrate(_engine(url))
    except DatabaseError as exc:
        _fail(str(exc))
    typer.echo("数据库结构已是最新版本。")


@app.command()
def alerts(
    as_of: Optional[str] = typer.Option(None, "--as-of", help="预警日期 YYYY-MM-DD，默认数据截止日"),
    url: Optional[str] = typer.Option(None, help="数据库地址"),
    as_json: bool = typer.Option(False, "--json", help="每条预警输出一行 JSON"),
    user: Optional[str] = USER_OPTION,
) -> None:
    """列出预警：同类聚集、集体访激增、越级和集体访上升、重复信访。"""
    import json

    from queries.alerts import all_alerts
    from queries.filters import Filters
    from queries.reference import dataset_as_of, region_names

    day = _parse_day(as_of, "--as-of")
    try:
        engine = _engine(url)
        day = day or dataset_as_of(engine, date.today())
        frame = all_alerts(engine, Filters(start=day, end=day, as_of=day, scope=_scope(engine, user)))
        names = region_names(engine)
    except (DatabaseError, ValueError) as exc:
        _fail(str(exc))
    for row in frame.itertuples():
        record = {
            "level": row.level, "kind": row.kind, "code": row.area_code,
            "name": names.get(row.area_code, row.area_code), "area_level": row.area_level,
            "category": row.category, "window": {"days": int(row.window_days),
                                                 "start": row.window_start.isoformat(),
                                                 "end": row.window_end.isoformat()},
            "observed": int(row.observed), "expected": float(row.expected),
            "detail": row.detail, "case_nos": list(row.case_nos),
            "first_seen": row.first_seen.isoformat() if row.first_seen else None,
        }
        if as_json:
            typer.echo(json.dumps(record, ensure_ascii=False))
        else:
            typer.echo(f"[{row.level}] {record['name']} {row.category} {row.kind}：{row.detail}")
    if not as_json:
        typer.echo(f"共 {len(frame)} 条预警（截至 {day:%Y-%m-%d}）。")


@app.command("backup")
def backup_command(
    out: Path = typer.Option(..., help="备份文件，例如 /backup/xinfang-20250601.db"),
    url: Optional[str] = typer.Option(None, help="数据库地址；默认取 DATABASE_URL 或 data/ 下的 SQLite 文件"),
) -> None:
    """备份 SQLite 数据库（在线备份：看板运行时也可执行，得到一致的副本）。PostgreSQL 用 pg_dump。"""
    from data.backup import backup

    try:
        facts = backup(url or database_url(), out)
    except DatabaseError as exc:
        _fail(str(exc))
    typer.echo(f"已备份到 {facts.path}：信访件 {facts.case_count:,} 件，{facts.size_bytes / 1e6:.1f} MB，"
               f"数据库结构版本 {facts.revision}。")


@app.command("restore")
def restore_command(
    file: Path = typer.Argument(..., help="由 cli.py backup 生成的备份文件"),
    url: Optional[str] = typer.Option(None, help="要恢复到的数据库地址；默认取 DATABASE_URL 或 data/ 下的 SQLite 文件"),
    force: bool = typer.Option(False, "--force", help="数据库已存在时确认用备份替换（替换前另存一份）"),
) -> None:
    """从备份恢复 SQLite 数据库：先检查备份完整、属于本系统，已有数据库须加 --force 才替换。"""
    from data.backup import restore

    try:
        facts, kept = restore(file, url or database_url(), force)
    except DatabaseError as exc:
        _fail(str(exc))
    if kept:
        typer.echo(f"原数据库已另存为 {kept}。")
    typer.echo(f"已从 {file} 恢复：信访件 {facts.case_count:,} 件。正在运行的看板请重新启动"
               "（或等待几分钟缓存过期）后查看。")


export_app = typer.Typer(help="导出报表", no_args_is_help=True)
app.add_typer(export_app, name="export")


def _write(out: Path, data: bytes) -> None:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(out)
    except OSError as exc:
        _fail(f"无法写入文件 {out}：{exc.strerror or exc}")
    typer.echo(f"已导出：{out}（{len(data):,} 字节）")


def _month(engine, month: Optional[str]) -> tuple[str, date]:
    """The month asked for ('YYYY-MM', 'previous' or None for the last complete month) and the
    day figures are taken."""
    from queries.dispatch import last_complete_month
    from queries.filters import parse_month
    from queries.reference import dataset_as_of

    today = dataset_as_of(engine, date.today())
    month = last_complete_month(today) if month in (None, "previous") else month
    parse_month(month)
    return month, today


def _mail(subject: str, file_name: str, data: bytes) -> None:
    from exports.delivery import DeliveryError, send_file, smtp_settings

    try:
        settings = smtp_settings()
        send_file(settings, subject, f"{subject}，见附件。（信访督导看板自动发送）", file_name, data)
    except DeliveryError as exc:
        _fail(str(exc))
    typer.echo(f"已发送至：{'、'.join(settings.recipients)}")


@export_app.command("dispatch")
def export_dispatch(
    month: Optional[str] = typer.Option(None, help="调度月份 YYYY-MM 或 previous（上一个完整月份，默认）"),
    url: Optional[str] = typer.Option(None, help="数据库地址"),
    out: Path = typer.Option(..., help="输出文件 .xlsx"),
    county: Optional[str] = typer.Option(None, help="只导出一个县（市、区），填区划代码"),
    user: Optional[str] = USER_OPTION,
    mail: bool = typer.Option(False, "--mail", help="另按 secrets.toml 的 [smtp] 发送邮件"),
) -> None:
    """导出月度调度会材料（Excel：本月概况、单位进度、逾期清单、重点案件）。"""
    from exports.dispatch_pack import dispatch_pack
    from queries.filters import Filters

    if out.suffix.lower() != ".xlsx":
        _fail(f"--out 应为 .xlsx 文件：{out}")
    try:
        engine = _engine(url)
        month, today = _month(engine, month)
        place = Filters(start=today, end=today, as_of=today, county=county,
                        scope=_scope(engine, user))
        data = dispatch_pack(engine, month, today, place)
    except (DatabaseError, ValueError, PermissionError) as exc:
        _fail(str(exc))
    _write(out, data)
    if mail:
        _mail(f"{month} 调度会材料", out.name, data)


@export_app.command("ranking")
def export_ranking(
    period: str = typer.Option(..., help="期间：2025-06（月）、2025-Q2（季度）或 2025（年）"),
    url: Optional[str] = typer.Option(None, help="数据库地址"),
    out: Path = typer.Option(..., help="输出文件：.xlsx 为排名表，.docx 为通报草稿"),
    level: str = typer.Option("township", help="township 乡镇、county 县（市、区）或 unit 责任单位"),
    user: Optional[str] = USER_OPTION,
) -> None:
    """导出排名（Excel）或通报草稿（Word），使用数据库中保存的评分办法。"""
    from exports.ranking_reports import LEVEL_NAMES, ranking_report
    from queries.reference import dataset_as_of

    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "docx"):
        _fail(f"--out 应为 .xlsx 或 .docx 文件：{out}")
    if level not in LEVEL_NAMES:
        _fail(f"--level 应为 township、county 或 unit：{level}")
    try:
        engine = _engine(url)
        data = ranking_report(engine, period, dataset_as_of(engine, date.today()), fmt, level,
                              place=_scope(engine, user))
    except (DatabaseError, ValueError) as exc:
        _fail(str(exc))
    _write(out, data)


user_app = typer.Typer(help="账号管理（本机命令行视为可信）", no_args_is_help=True)
app.add_typer(user_app, name="user")


def _password_from_stdin(password_stdin: bool) -> Optional[str]:
    if not password_stdin:
        return None
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        _fail("--password-stdin：标准输入中没有密码")
    return password


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="用户名"),
    role: str = typer.Option(..., help="admin 管理员、leader 领导、staff 工作人员或 viewer 查看人员"),
    region: str = typer.Option(..., help="辖区代码：市、县（市、区）或乡镇（街道）"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="从标准输入读取密码（作为正式密码）"),
    display_name: str = typer.Option("", help="姓名"),
    email: str = typer.Option("", help="电子邮箱（统一身份认证按此对应账号）"),
    url: Optional[str] = typer.Option(None, help="数据库地址"),
) -> None:
    """新增账号；不给密码时生成随机密码（首次登录须修改）。"""
    from data.accounts import AccountError, add_account

    given = _password_from_stdin(password_stdin)
    try:
        engine = _engine(url)
        password = add_account(engine, name, role, region, password=given, display_name=display_name,
                               email=email, by="命令行")
    except (DatabaseError, AccountError) as exc:
        _fail(str(exc))
    if given is None:
        typer.echo(f"已新增账号 {name}，初始密码：{password}（首次登录须修改）")
    else:
        typer.echo(f"已新增账号 {name}。")


@user_app.command("list")
def user_list(url: Optional[str] = typer.Option(None, help="数据库地址"),
              as_json: bool = typer.Option(False, "--json", help="每个账号一行 JSON")) -> None:
    """列出账号（不含密码）。"""
    import json

    from data.accounts import ROLE_LABELS, list_accounts

    try:
        rows = list_accounts(_engine(url))
    except DatabaseError as exc:
        _fail(str(exc))
    for row in rows:
        state = "停用" if row["disabled"] else "须改密码" if row["must_change_password"] else "正常"
        if as_json:
            typer.echo(json.dumps({"username": row["username"], "role": row["role"],
                                   "region": row["region_code"], "state": state,
                                   "email": row["email"]}, ensure_ascii=False))
        else:
            typer.echo(f"{row['username']}\t{ROLE_LABELS.get(row['role'], row['role'])}\t"
                       f"{row['region_code']}\t{state}")


def _set_disabled(name: str, url: Optional[str], disabled: bool) -> None:
    from data.accounts import AccountError, set_disabled

    try:
        set_disabled(_engine(url), name, disabled, by="命令行")
    except (DatabaseError, AccountError) as exc:
        _fail(str(exc))
    typer.echo(f"已{'停用' if disabled else '启用'}账号 {name}。")


@user_app.command("disable")
def user_disable(name: str = typer.Argument(..., help="用户名"),
                 url: Optional[str] = typer.Option(None, help="数据库地址")) -> None:
    """停用账号（已登录的会话在下一次操作时退出）。"""
    _set_disabled(name, url, True)


@user_app.command("enable")
def user_enable(name: str = typer.Argument(..., help="用户名"),
                url: Optional[str] = typer.Option(None, help="数据库地址")) -> None:
    """重新启用账号。"""
    _set_disabled(name, url, False)


@user_app.command("reset-password")
def user_reset_password(
    name: str = typer.Argument(..., help="用户名"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="从标准输入读取新密码（作为正式密码）"),
    url: Optional[str] = typer.Option(None, help="数据库地址"),
) -> None:
    """重置密码（同时解除锁定）；不给密码时生成随机密码（下次登录须修改）。"""
    from data.accounts import AccountError, reset_password

    given = _password_from_stdin(password_stdin)
    try:
        password = reset_password(_engine(url), name, given, by="命令行")
    except (DatabaseError, AccountError) as exc:
        _fail(str(exc))
    typer.echo(f"已重置 {name} 的密码" + ("。" if given else f"：{password}（下次登录须修改）"))


@app.command("audit")
def audit_command(
    since: Optional[str] = typer.Option(None, help="起始日期 YYYY-MM-DD"),
    user: Optional[str] = typer.Option(None, "--user", help="只看该用户"),
    action: Optional[str] = typer.Option(None, help="只看该操作，例如 sign_in、download"),
    as_json: bool = typer.Option(False, "--json", help="每条一行 JSON（at、user、action、target、detail、result）"),
    url: Optional[str] = typer.Option(None, help="数据库地址"),
) -> None:
    """列出审计日志（从旧到新）。"""
    import json

    from data.audit import ACTIONS
    from queries.audit import audit_entries

    day = _parse_day(since, "--since")
    try:
        frame = audit_entries(_engine(url), since=day, username=user, action=action, limit=None)
    except DatabaseError as exc:
        _fail(str(exc))
    for row in frame.iloc[::-1].itertuples():
        at = str(row.at)[:19]
        if as_json:
            typer.echo(json.dumps({"at": at, "user": row.username, "action": row.action,
                                   "target": row.target, "detail": json.loads(row.detail or "{}"),
                                   "result": row.result}, ensure_ascii=False))
        else:
            typer.echo(f"{at}  {row.username}  {ACTIONS.get(row.action, row.action)}  "
                       f"{row.target or ''}  {row.result}")
@app.command()
def report(
    month: Optional[str] = typer.Option(None, help="月份 YYYY-MM 或 previous（上一个完整月份，默认）"),
    out: Optional[Path] = typer.Option(None, help="输出文件 .docx，默认 分析报告-<月份>.docx"),
    region: Optional[str] = typer.Option(None, help="只写一个县（市、区），填区划代码；默认全辖区"),
    url: Optional[str] = typer.Option(None, help="数据库地址"),
    mail: bool = typer.Option(False, "--mail", help="另按 secrets.toml 的 [smtp] 发送邮件"),
    user: Optional[str] = USER_OPTION,
) -> None:
    """月度分析报告（Word，公文格式）：总体情况、满意度、责任单位、排名与通报候选、预警、重点案件，附趋势图和态势图。"""
    from exports.monthly_report import monthly_report, report_place

    try:
        engine = _engine(url)
        month, today = _month(engine, month)
        out = out or Path(f"分析报告-{month}" + (f"-{region}" if region else "") + ".docx")
        if out.suffix.lower() != ".docx":
            _fail(f"--out 应为 .docx 文件：{out}")
        data = monthly_report(engine, month, today, report_place(region, today, _scope(engine, user)))
    except (DatabaseError, ValueError, PermissionError) as exc:
        _fail(str(exc))
    _write(out, data)
    if mail:
        _mail(f"{month} 信访工作分析报告", out.name, data)


if __name__ == "__main__":
    sys.exit(app())
