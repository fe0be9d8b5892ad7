"""The demo jurisdiction: a Qujing-like city or a Yiyang-like county with three years of cases.

Deterministic for a given seed. Everything is generated with numpy, a column at a time, so a
million cases take minutes, not hours. No real person appears: names, phones and ID numbers are
made up.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from sqlalchemy import Engine, text

from data import rollups, schema, search_index
from data.database import PROJECT_DIR, bulk_insert, migrate, write_setting
from data.geography import PROFILES, Place, build_places, flatten
from data.importing.batches import Source, close_batch, open_batch
from queries import defaults
from queries.filters import add_months

CASES_PER_YEAR = {"city": 20_000, "county": 9_000}
PLANTED_KEY = "planted_clusters"  # settings: the clusters planted for measuring early warning
YEARS = 3
PENDING_KEY = "demo_pending_before"  # settings: the demo's cases before this day are still to come
DEMO_CASES_KEY = "demo_cases"  # settings: the demo's total number of cases
CHUNK = 50_000

CHANNEL_WEIGHTS = {"网上信访": 0.40, "来访": 0.24, "来信": 0.11, "电话": 0.13, "手机App": 0.05,
                   "微信": 0.07}
CATEGORY_WEIGHTS = {
    "城乡建设": 17, "农村农业": 14, "劳动和社会保障": 13, "国土资源": 12, "政法": 10, "环境保护": 6,
    "民政": 5, "卫生健康": 4, "教育文体": 4, "交通运输": 3, "组织人事": 2, "纪检监察": 3,
    "党务政务": 2, "商贸旅游": 1, "经济管理": 1.5, "科技与信息产业": 0.5, "其他": 2,
}
# Month factors (Jan..Dec): wage arrears before the Spring Festival, a lull in its holiday.
SEASON = np.array([1.15, 0.80, 1.05, 1.05, 1.0, 1.0, 0.95, 0.95, 1.0, 0.90, 1.0, 1.15])
WAGE_SEASON = np.array([1.9, 1.2, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.9, 1.2, 1.8])

SUBJECTS = {
    "城乡建设": [("房屋征收补偿标准偏低", "要求按政策足额补偿"), ("小区物业服务不到位、乱收费", "要求整改"),
             ("商品房逾期交房、办证难", "要求开发商履约"), ("老旧小区改造施工扰民", "要求规范施工")],
    "农村农业": [("土地承包经营权纠纷", "要求依法确权"), ("惠农补贴未足额发放", "要求补发"),
             ("村内道路硬化未兑现", "要求落实项目")],
    "劳动和社会保障": [("工程项目拖欠农民工工资", "要求尽快支付"), ("养老保险待遇核定有误", "要求重新核定"),
                 ("工伤认定迟迟未办", "要求依法认定")],
    "国土资源": [("征地补偿款分配不公", "要求公开分配方案"), ("宅基地审批纠纷", "要求依法处理"),
             ("采石场越界开采", "要求查处")],
    "政法": [("邻里纠纷处理不公", "要求重新调解"), ("案件执行难", "要求加快执行"), ("涉法涉诉事项", "要求复查")],
    "环境保护": [("养殖场污水直排", "要求整治"), ("企业夜间噪声扰民", "要求查处"), ("垃圾堆放点异味", "要求清运")],
    "民政": [("低保评定不公", "要求重新评议"), ("残疾人补贴未落实", "要求落实")],
    "卫生健康": [("医疗纠纷处理", "要求调查责任"), ("医保报销比例争议", "要求解释政策")],
    "教育文体": [("子女就近入学", "要求协调学位"), ("学校收费不规范", "要求清退")],
    "交通运输": [("客运线路停运出行难", "要求恢复线路"), ("道路施工损坏房屋", "要求赔偿")],
    "组织人事": [("退役军人安置待遇", "要求落实政策"), ("村干部选举程序", "要求核查")],
    "纪检监察": [("村干部优亲厚友", "要求查处"), ("集体资金使用不透明", "要求公开账目")],
    "党务政务": [("办事窗口推诿", "要求改进作风")],
    "商贸旅游": [("景区经营纠纷", "要求协调处理")],
    "经济管理": [("企业改制职工安置", "要求落实待遇"), ("非法集资资金损失", "要求追赃挽损")],
    "科技与信息产业": [("通信基站选址", "要求迁移")],
    "其他": [("其他诉求", "要求答复")],
}

DEPARTMENTS = (
    "公安局", "人力资源和社会保障局", "自然资源局", "住房和城乡建设局", "农业农村局", "生态环境局",
    "教育局", "卫生健康委员会", "民政局", "交通运输局", "水利局", "市场监督管理局", "财政局",
    "城市管理局", "退役军人事务局", "医疗保障局", "司法局", "应急管理局", "文化广电和旅游局",
    "发展和改革委员会", "工业和信息化局", "商务局", "林业局", "人民法院", "信访局",
)
CITY_DEPARTMENTS = DEPARTMENTS[:20]
DEPARTMENT_FOR_CATEGORY = {
    "劳动和社会保障": "人力资源和社会保障局", "国土资源": "自然资源局", "城乡建设": "住房和城乡建设局",
    "农村农业": "农业农村局", "环境保护": "生态环境局", "教育文体": "教育局", "卫生健康": "卫生健康委员会",
    "民政": "民政局", "交通运输": "交通运输局", "政法": "公安局", "商贸旅游": "文化广电和旅游局",
    "经济管理": "发展和改革委员会",
}
LEADER_POSTS = {
    "city": ("市委常委、政法委书记", "副市长", "市人大常委会副主任", "市政协副主席", "市委常委、秘书长"),
    "county": ("县委书记", "县长", "县委副书记", "县委常委、政法委书记", "副县长", "县人大常委会副主任"),
}
REQUIREMENTS = (
    "落实“三见面、四不放过”，限期化解并报送化解情况",
    "分类纳入“四个清单”，合理诉求限期解决，做好教育疏导",
    "包案领导每月接访一次，属地每周报告进展",
    "会同有关部门联合调处，依法处理到位",
    "开展案件评查，符合条件的依法终结",
)
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志忠文春林福海荣")


@dataclass(frozen=True)
class DemoSummary:
    profile: str
    regions: int
    townships: int
    villages: int
    units: int
    departments: int
    cases: int
    key_cases: int
    evaluations: int
    events: int


def _choice(rng: np.random.Generator, weights: dict, size: int) -> np.ndarray:
    keys = np.array(list(weights), dtype=object)
    p = np.array(list(weights.values()), dtype=float)
    return keys[rng.choice(len(keys), size=size, p=p / p.sum())]


ID_FACTORS = np.array((7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2))


def _id_check_digits(bodies: list[str]) -> list[str]:
    """The check digit (GB 11643) of each 17-digit ID body, all at once."""
    if not bodies:
        return []
    digits = np.frombuffer("".join(bodies).encode("ascii"), dtype=np.uint8).reshape(-1, 17) - 48
    return ["10X98765432"[r] for r in (digits.astype(np.int64) @ ID_FACTORS) % 11]


def _petitioners(rng: np.random.Generator, county_codes: np.ndarray, count: int):
    surname = rng.choice(SURNAMES, count)
    given1 = rng.choice(GIVEN, count)
    given2 = np.where(rng.random(count) < 0.7, rng.choice(GIVEN, count), "")
    names = [a + b + c for a, b, c in zip(surname, given1, given2)]
    phones = [f"1{p}{n:09d}" for p, n in zip(rng.choice([3, 5, 7, 8, 9], count),
                                            rng.integers(0, 10**9, count))]
    birth = date(1950, 1, 1).toordinal() + rng.integers(0, 365 * 52, count)
    seq = rng.integers(0, 1000, count)
    bodies = [f"{code}{date.fromordinal(int(born)):%Y%m%d}{s:03d}"
              for code, born, s in zip(county_codes, birth, seq)]
    ids = [body + check for body, check in zip(bodies, _id_check_digits(bodies))]
    keys = [hashlib.sha256(i.encode()).hexdigest()[:20] for i in ids]
    return names, phones, ids, keys


def _dates(origin: int, offsets: np.ndarray) -> list:
    """Day offsets (-1 for none) as datetime.date objects or None."""
    return [date.fromordinal(origin + int(o)) if o >= 0 else None for o in offsets]


def generate(engine: Engine, profile: str = "city", cases: int | None = None, seed: int = 20240601,
             end: date | None = None, plant_clusters: int = 0, rollup: bool = True,
             defer_before: date | None = None) -> DemoSummary:
    """Replaces the database's content by a demo jurisdiction; refuses to overwrite real data.
    defer_before: only the cases registered from that day on are written now (with their key
    cases, evaluations and events); finish_demo() writes the earlier ones, the same as in one go."""
    if profile not in PROFILES:
        raise ValueError(f"未知的演示档案：{profile}（可选 city 或 county）")
    end = end or date.today()
    total = cases if cases is not None else CASES_PER_YEAR[profile] * YEARS
    if total < 1:
        raise ValueError("案件数必须大于 0")
    migrate(engine)
    with engine.connect() as conn:
        # Real cases: any not written by a demo batch (unmarked ones came before batches).
        real = conn.execute(text(
            "SELECT COUNT(*) FROM cases WHERE batch_id IS NULL OR batch_id NOT IN "
            "(SELECT id FROM import_batches WHERE is_demo)")).scalar()
    if real:
        raise RuntimeError("数据库中已有真实数据，演示数据不会覆盖它。请换一个空数据库。")

    rng = np.random.default_rng(seed)
    root = build_places(profile, rng, villages_total=353 if profile == "county" else None)
    places = flatten(root)
    townships = [p for p in places if p.level == "township"]
    top = places[0]
    prefix = "市" if profile == "city" else "县"
    department_names = CITY_DEPARTMENTS if profile == "city" else DEPARTMENTS
    unit_rows = [(i + 1, t.code, t.name, "township", t.code) for i, t in enumerate(townships)]
    department_ids = {}
    for name in department_names:
        unit_id = len(unit_rows) + 1
        department_ids[name] = unit_id
        unit_rows.append((unit_id, f"{top.code}-D{len(department_ids):02d}", prefix + name,
                          "department", top.code))

    case_columns, case_rows, key_rows, eval_rows, event_rows, planted = _cases(
        rng, profile, total, end, townships, department_ids, plant_clusters, seed)
    if defer_before is not None:
        case_rows, key_rows, eval_rows, event_rows = _registered(
            case_columns, case_rows, key_rows, eval_rows, event_rows,
            lambda day: day >= defer_before)

    with engine.begin() as conn:
        for table in ("case_events", "evaluations", "key_cases", "cases", "units", "regions",
                      "settings", "batch_changes", "import_batches"):
            conn.execute(text(f"DELETE FROM {table}"))
        batch_id = open_batch(conn, "demo", Source(f"演示数据（{profile}，种子 {seed}）", "", "demo"),
                              is_demo=True)
        bulk_insert(conn, schema.regions, ("code", "name", "level", "parent_code", "lon", "lat",
                                           "population", "boundary", "boundary_schematic"),
                    [(p.code, p.name, p.level, p.parent_code, round(p.lon, 6), round(p.lat, 6),
                      p.population, p.boundary, p.boundary_schematic) for p in places])
        bulk_insert(conn, schema.units, ("id", "code", "name", "kind", "region_code"), unit_rows)
        _insert_cases(conn, batch_id, case_columns, case_rows, key_rows, eval_rows, event_rows)
        search_index.rebuild(conn)
        close_batch(conn, batch_id, len(case_rows))
        if rollup:
            rollups.rebuild(conn)
        write_setting(conn, defaults.DEMO_BANNER_KEY, "demo")
        write_setting(conn, defaults.AS_OF_KEY, end.isoformat())
        write_setting(conn, "demo_profile", profile)
        write_setting(conn, "demo_seed", str(seed))
        write_setting(conn, DEMO_CASES_KEY, str(total))
        if defer_before is not None:
            write_setting(conn, PENDING_KEY, defer_before.isoformat())
        write_setting(conn, PLANTED_KEY, json.dumps(planted, ensure_ascii=False))
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('units', 'id'), "
                              "(SELECT MAX(id) FROM units))"))
    rollups.vacuum(engine)
    return DemoSummary(profile, len(places), len(townships),
                       sum(1 for p in places if p.level == "village"), len(unit_rows),
                       len(department_ids), len(case_rows), len(key_rows), len(eval_rows),
                       len(event_rows))


def _registered(columns, case_rows, key_rows, eval_rows, event_rows, keep):
    """The rows of the cases whose registration day passes `keep` (and of nothing else)."""
    at = columns.index("received_on")
    case_rows = [row for row in case_rows if keep(row[at])]
    numbers = {row[0] for row in case_rows}
    return (case_rows, [r for r in key_rows if r[0] in numbers],
            [r for r in eval_rows if r[0] in numbers], [r for r in event_rows if r[0] in numbers])


FIRST_START_MONTHS = 1  # full months before the current one written before the server opens
FINISH_MONTHS = 1  # months written per transaction by finish_demo() (short: the app's writes wait on it)


def first_start(engine: Engine, today: date | None = None) -> DemoSummary:
    """The demo of a first start: the current month and the FIRST_START_MONTHS before it now (a
    quarter of a city's cases, about 5,000), so the server opens within seconds;
    finish_in_background() writes the months before."""
    end = today or date.today()
    return generate(engine, end=end,
                    defer_before=add_months(end.replace(day=1), -FIRST_START_MONTHS))


# Seconds the background finish waits after the server starts: the first sign-in (which writes
# the audit log and the new password) and the first pages are not kept waiting on its writes.
FINISH_AFTER_S = 30


def finish_in_background(url: str, after_s: int = FINISH_AFTER_S) -> subprocess.Popen:
    """`cli.py demo --finish` in a child process (stopped with the server, resumed at its next
    start) after `after_s` seconds, at the lowest CPU priority: the first pages a user opens
    meanwhile come first."""
    return subprocess.Popen([sys.executable, str(PROJECT_DIR / "cli.py"), "demo", "--finish",
                             "--after", str(after_s)],
                            cwd=PROJECT_DIR, env={**os.environ, "DATABASE_URL": url},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            preexec_fn=(lambda: os.nice(19)) if hasattr(os, "nice") else None)


def pending_before(engine: Engine, conn=None) -> date | None:
    """The day before which the demo's cases are still to be written (None: nothing pending)."""
    if conn is None:
        with engine.connect() as conn:
            return pending_before(engine, conn)
    value = conn.execute(text("SELECT value FROM settings WHERE key = :k"),
                         {"k": PENDING_KEY}).scalar()
    return date.fromisoformat(value) if value else None


def _insert_cases(conn, batch_id, case_columns, case_rows, key_rows, eval_rows, event_rows) -> None:
    """The rows of some demo cases, marked as the demo batch's (so only they are removed as demo)."""
    marked = lambda rows: [(*r, batch_id) for r in rows]  # noqa: E731
    for start in range(0, len(case_rows), CHUNK):
        bulk_insert(conn, schema.cases, (*case_columns, "batch_id"),
                    marked(case_rows[start:start + CHUNK]))
    bulk_insert(conn, schema.key_cases, ("case_no", "listed_on", "leader", "requirements",
                                         "resolve_by", "progress_pct", "stage", "cleared_on",
                                         "batch_id"), marked(key_rows))
    for start in range(0, len(eval_rows), CHUNK):
        bulk_insert(conn, schema.evaluations, ("case_no", "evaluated_on", "method", "result",
                                               "batch_id"), marked(eval_rows[start:start + CHUNK]))
    for start in range(0, len(event_rows), CHUNK):
        bulk_insert(conn, schema.case_events, ("case_no", "kind", "happened_on", "note", "batch_id"),
                    marked(event_rows[start:start + CHUNK]))


def finish_demo(engine: Engine) -> int:
    """Writes the demo's cases that generate(defer_before=...) left for later (regenerated from
    the same profile, seed, total and end day, so the database ends as if generated in one go) and
    refreshes the rollups of their months. Returns the cases written."""
    cutoff = pending_before(engine)
    if cutoff is None:
        return 0
    with engine.connect() as conn:
        settings = dict(conn.execute(text("SELECT key, value FROM settings")).fetchall())
    profile, seed = settings["demo_profile"], int(settings["demo_seed"])
    end = date.fromisoformat(settings[defaults.AS_OF_KEY])
    total = int(settings[DEMO_CASES_KEY])
    planted = len(json.loads(settings.get(PLANTED_KEY) or "[]"))
    rng = np.random.default_rng(seed)
    root = build_places(profile, rng, villages_total=353 if profile == "county" else None)
    townships = [p for p in flatten(root) if p.level == "township"]
    department_ids = {name: len(townships) + i + 1 for i, name in enumerate(
        CITY_DEPARTMENTS if profile == "city" else DEPARTMENTS)}
    case_columns, case_rows, key_rows, eval_rows, event_rows, _planted = _cases(
        rng, profile, total, end, townships, department_ids, planted, seed)
    at = case_columns.index("received_on")
    months = sorted({row[at].replace(day=1) for row in case_rows if row[at] < cutoff}, reverse=True)
    written, expected = 0, cutoff
    # FINISH_MONTHS months per transaction, the latest first: every commit leaves whole months
    # with their rollups (the figures exact for the cases present), and the app's own writes (a
    # sign-in) wait a moment at most; an interrupted run resumes at the months it stopped. (Each
    # commit recomputes the arrivals' running totals from its months on: fewer, larger steps.)
    for first in range(0, len(months), FINISH_MONTHS):
        chunk = months[first:first + FINISH_MONTHS]
        month, until = min(chunk), min(cutoff, add_months(max(chunk), 1))
        rows = _registered(case_columns, case_rows, key_rows, eval_rows, event_rows,
                           lambda day: month <= day < until)
        with engine.begin() as conn:
            if pending_before(engine, conn) != expected:
                return written  # regenerated or finished meanwhile
            batch_id = conn.execute(text(
                "SELECT MAX(id) FROM import_batches WHERE is_demo")).scalar()
            _insert_cases(conn, batch_id, case_columns, *rows)
            conn.execute(text("UPDATE import_batches SET row_count = row_count + :n WHERE id = :b"),
                         {"n": len(rows[0]), "b": batch_id})
            rollups.refresh(conn, chunk, fresh=True)
            search_index.refresh(conn, [r[0] for r in conn.execute(text(
                "SELECT id FROM cases WHERE received_on >= :m AND received_on < :n"),
                {"m": month, "n": until})])
            write_setting(conn, PENDING_KEY, month.isoformat())
        written, expected = written + len(rows[0]), month
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM settings WHERE key = :k"), {"k": PENDING_KEY})
    rollups.vacuum(engine)
    return written


def _plant(seed: int, count: int, received: np.ndarray, township: np.ndarray,
           categories: np.ndarray, county_index: np.ndarray, origin: int, last: int) -> list[dict]:
    """Moves a handful of cases received within one week of the same county into one township and
    one category, `count` times: known clusters for measuring the early-warning detector."""
    rng = np.random.default_rng(seed + 1)
    planted: list[dict] = []
    candidates = np.flatnonzero(received > 400)  # a year of history before each cluster
    while len(planted) < count and len(candidates):
        anchor = int(rng.choice(candidates))
        day, county = int(received[anchor]), county_index[township[anchor]]
        window = np.flatnonzero((received > day - 7) & (received <= day)
                                & (county_index[township] == county))
        size = int(rng.integers(6, 10))
        if len(window) < size + 5:
            continue
        target_town = int(township[anchor])
        target_category = str(rng.choice(["环境保护", "劳动和社会保障", "国土资源", "城乡建设"]))
        donors = rng.choice(window, size, replace=False)
        township[donors] = target_town
        categories[donors] = target_category
        planted.append({"township_index": target_town, "category": target_category,
                        "start": date.fromordinal(origin + day - 6).isoformat(),
                        "end": date.fromordinal(origin + day).isoformat(), "size": size,
                        "donors": [int(d) for d in donors]})
        candidates = candidates[np.abs(received[candidates] - day) > 30]
    return planted


def _cases(rng: np.random.Generator, profile: str, total: int, end: date,
           townships: list[Place], department_ids: dict[str, int], plant_clusters: int = 0,
           seed: int = 0):
    n = total
    first = date(end.year - YEARS, end.month, 1) if end.day == 1 else end - timedelta(days=365 * YEARS - 1)
    origin = first.toordinal()
    span = end.toordinal() - origin + 1
    days = np.arange(span)
    day_dates = [date.fromordinal(origin + int(d)) for d in days]
    months = np.array([d.month for d in day_dates])
    weekday = np.array([d.weekday() for d in day_dates])
    trend = 1.0 - 0.06 * days / 365.0  # 控增量: volumes ease a little each year
    day_weight = SEASON[months - 1] * np.where(weekday >= 5, 0.35, 1.0) * trend
    received = np.sort(rng.choice(span, size=n, p=day_weight / day_weight.sum()))
    received_month = months[received]
    received_year = np.array([d.year for d in day_dates])[received]
    year_index = (received - received.min()) / max(1, span - 1)  # 0 at the start, 1 at the end

    # Townships: volume by population and a local propensity; a few clearly worse, two improving.
    t_count = len(townships)
    population = np.array([t.population or 10_000 for t in townships], dtype=float)
    propensity = rng.lognormal(0.0, 0.35, t_count)
    township = rng.choice(t_count, size=n, p=(population * propensity) / (population * propensity).sum())
    order = rng.permutation(t_count)
    worse = np.zeros(t_count, bool)
    worse[order[: max(2, t_count // 30)]] = True
    improving = np.zeros(t_count, bool)
    improving[order[max(2, t_count // 30): max(2, t_count // 30) + 2]] = True
    quality = worse[township] * 1.0 + improving[township] * (1.0 - year_index)

    village_lists = [[v for v in t.children] for t in townships]
    village_pick = (rng.random(n) * np.array([len(v) for v in village_lists])[township]).astype(int)
    villages = [village_lists[t][i] for t, i in zip(township, village_pick)]

    categories = np.empty(n, dtype=object)
    base = dict(CATEGORY_WEIGHTS)
    for month in range(1, 13):
        mask = received_month == month
        weights = dict(base)
        weights["劳动和社会保障"] = base["劳动和社会保障"] * WAGE_SEASON[month - 1]
        categories[mask] = _choice(rng, weights, int(mask.sum()))
    channel = _choice(rng, CHANNEL_WEIGHTS, n)
    purpose = _choice(rng, {"求决": 0.72, "揭发控告": 0.13, "意见建议": 0.15}, n)
    collective = rng.random(n) < np.where(channel == "来访", 0.07, 0.008) * (1 + quality)
    persons = np.where(collective, 5 + rng.geometric(0.08, n), np.where(rng.random(n) < 0.86, 1,
                                                                         rng.integers(2, 4, n)))
    roll = rng.random(n)
    beijing_p = 4.0 * YEARS / n  # a handful a year
    escalation = np.full(n, "本级", dtype=object)
    escalation[roll < 0.045 * (1 + 1.5 * quality)] = "到市"
    escalation[roll < 0.009 * (1 + 1.5 * quality)] = "到省"
    escalation[roll < beijing_p * (1 + quality)] = "进京"

    # Repeat petitions: the same person on the same matter, 10-15% of cases.
    repeat = rng.random(n) < 0.12
    petitioner = np.arange(n)
    for t in range(t_count):
        idx = np.flatnonzero(township == t)
        if len(idx) < 2:
            continue
        rep = np.flatnonzero(repeat[idx])
        rep = rep[rep > 0]
        back = np.maximum(0, rep - rng.integers(1, 150, len(rep)))
        earlier = idx[back]
        petitioner[idx[rep]] = petitioner[earlier]
        categories[idx[rep]] = categories[earlier]
    repeat = petitioner != np.arange(n)
    # Chains: point every repeat at the root petitioner.
    for _ in range(6):
        petitioner = petitioner[petitioner]

    county_codes = np.array([t.parent_code for t in townships], dtype=object)
    planted = []
    if plant_clusters:
        county_index = np.unique(county_codes, return_inverse=True)[1]
        planted = _plant(seed, plant_clusters, received, township, categories, county_index,
                         origin, span - 1)
        for cluster in planted:
            town = townships[cluster["township_index"]]
            for donor in cluster.pop("donors"):
                villages[donor] = town.children[int(rng.integers(len(town.children)))]
            cluster["township_code"] = town.code
            cluster["township_name"] = town.name
            del cluster["township_index"]
    county_of = county_codes[township]
    roots = np.unique(petitioner)
    names, phones, ids, keys = _petitioners(rng, county_of[roots], len(roots))
    root_pos = np.searchsorted(roots, petitioner)

    # Handling timeline, in day offsets from `origin` (-1: has not happened by `end`).
    last = span - 1
    dispatched = received + rng.geometric(0.6, n) - 1
    late_accept = rng.random(n) < 0.03 + 0.09 * quality
    accepted = received + np.where(late_accept, rng.integers(16, 35, n), rng.integers(1, 15, n))
    extended = rng.random(n) < 0.05
    due = accepted + defaults.HANDLE_DAYS
    deadline = due + np.where(extended, defaults.EXTENSION_DAYS, 0)
    allowed = deadline - accepted
    late_close = rng.random(n) < 0.04 + 0.16 * quality
    closed = np.where(late_close, deadline + rng.geometric(1 / 18, n),
                      accepted + (rng.beta(2.2, 2.0, n) * allowed).astype(int) + 1)
    stuck = rng.random(n) < 0.003 + 0.012 * quality  # long-running cases that stay open: 积案
    closed[stuck] = last + 1
    resolved = np.where(rng.random(n) < 0.9, closed + rng.integers(0, 20, n), -1)
    for arr in (dispatched, accepted, closed):
        arr[arr > last] = -1
    accepted[dispatched < 0] = -1
    closed[accepted < 0] = -1
    resolved[(closed < 0) | (resolved > last)] = -1
    due[accepted < 0] = -1
    ext_due = np.where(extended & (accepted >= 0), deadline, -1)
    status = np.where(closed >= 0, "已办结", np.where(accepted >= 0, "办理中", "待受理"))

    list_type = np.where(purpose == "求决", _choice(rng, {"合理诉求": 0.5, "教育疏导": 0.3,
                                                        "帮扶救助": 0.1, "依法处理": 0.1}, n), None)
    to_department = rng.random(n) < 0.22
    township_unit = township + 1
    unit = township_unit.copy()
    department_of_category = np.array(
        [department_ids.get(DEPARTMENT_FOR_CATEGORY.get(c, ""), 0) for c in categories])
    pick = to_department & (department_of_category > 0)
    unit[pick] = department_of_category[pick]

    # Case numbers: county code, year, running number.
    seq = np.zeros(n, dtype=int)
    counters: dict[tuple, int] = {}
    for i, key in enumerate(zip(county_of, received_year)):
        counters[key] = counters.get(key, 0) + 1
        seq[i] = counters[key]
    case_no = [f"{c}-{y}-{s:06d}" for c, y, s in zip(county_of, received_year, seq)]

    subject_pick = rng.random(n)
    summaries = []
    for category, village, u in zip(categories, villages, subject_pick):
        options = SUBJECTS[category]
        issue, demand = options[int(u * len(options))]
        summaries.append(f"{village.name}群众反映{issue}，{demand}。")
    jitter = rng.normal(0, 0.004, (n, 2))

    received_dates = _dates(origin, received)
    columns = ("case_no", "received_on", "channel", "person_count", "is_collective", "escalation",
               "is_repeat", "category", "subcategory", "purpose", "county_code", "township_code",
               "village_code", "lon", "lat", "summary", "unit_id", "dispatched_on", "accepted_on",
               "due_on", "extended_due_on", "closed_on", "resolved_on", "status", "list_type",
               "petitioner_name", "petitioner_phone", "petitioner_id_no", "petitioner_key")
    dispatched_d, accepted_d, due_d = (_dates(origin, a) for a in (dispatched, accepted, due))
    ext_d, closed_d, resolved_d = (_dates(origin, a) for a in (ext_due, closed, resolved))
    # A case's position: its village's, jittered (rounded as one array: the same values).
    lons = np.round(np.array([v.lon for v in villages]) + jitter[:, 0], 5).tolist()
    lats = np.round(np.array([v.lat for v in villages]) + jitter[:, 1], 5).tolist()
    rows = []
    for i in range(n):
        p = root_pos[i]
        v = villages[i]
        rows.append((
            case_no[i], received_dates[i], channel[i], int(persons[i]), bool(collective[i]),
            escalation[i], bool(repeat[i]), categories[i], None, purpose[i], county_of[i],
            townships[township[i]].code, v.code, lons[i], lats[i], summaries[i], int(unit[i]),
            dispatched_d[i],
            accepted_d[i], due_d[i], ext_d[i], closed_d[i], resolved_d[i], status[i], list_type[i],
            names[p], phones[p], ids[p], keys[p]))

    # Evaluations: most closed cases are rated within three weeks; some windows expire unrated.
    rated = (closed >= 0) & (rng.random(n) < 0.91 - 0.08 * quality)
    eval_day = closed + rng.integers(1, 21, n)
    rated &= eval_day <= last
    unsatisfied_p = 0.03 + 0.10 * quality
    u = rng.random(n)
    result = np.where(u < unsatisfied_p, "不满意", np.where(u < unsatisfied_p + 0.16, "基本满意", "满意"))
    method = _choice(rng, {"电话回访": 0.62, "微信": 0.24, "App": 0.14}, n)
    eval_idx = np.flatnonzero(rated)
    eval_dates = _dates(origin, eval_day[eval_idx])
    eval_rows = [(case_no[i], d, method[i], result[i]) for i, d in zip(eval_idx, eval_dates)]

    # Key cases: repeat, collective or escalated cases of the last two years, about 1.2%.
    eligible = (repeat | collective | (escalation != "本级")) & (received > last - 730)
    eligible &= received < last - 20
    key_idx = np.flatnonzero(eligible)
    key_count = min(len(key_idx), max(8, int(n * 0.012)))
    key_idx = np.sort(rng.choice(key_idx, key_count, replace=False)) if key_count else key_idx
    posts = LEADER_POSTS[profile]
    key_rows, clear_events = [], []
    for i in key_idx:
        listed = int(received[i]) + int(rng.integers(5, 20))
        resolve_by = listed + int(rng.choice([90, 120, 180]))
        duration = int(rng.gamma(4.0, 30.0 * (1 + quality[i])))
        resolved_at = listed + duration
        cleared_at = resolved_at + int(rng.integers(5, 30))
        elapsed = min(1.0, (last - listed) / max(1, resolve_by - listed))
        if cleared_at <= last:
            stage, progress, cleared = "已销号", 100, cleared_at
        elif resolved_at <= last:
            stage, progress, cleared = "待验收", int(rng.integers(90, 100)), -1
        else:
            progress = int(min(85, max(5, elapsed * 80 + rng.normal(0, 12))))
            stage, cleared = ("摸排建档" if progress < 20 else "化解中"), -1
        resolved[i] = resolved_at if resolved_at <= last else -1
        row = rows[i]
        rows[i] = row[:22] + (_dates(origin, np.array([resolved[i]]))[0],) + row[23:]
        leader = f"{posts[int(rng.integers(len(posts)))]} {rng.choice(SURNAMES)}{rng.choice(GIVEN)}{rng.choice(GIVEN)}"
        key_rows.append((case_no[i], date.fromordinal(origin + listed), leader,
                         REQUIREMENTS[int(rng.integers(len(REQUIREMENTS)))],
                         date.fromordinal(origin + resolve_by), progress, stage,
                         date.fromordinal(origin + cleared) if cleared >= 0 else None))
        if cleared >= 0:
            clear_events.append((case_no[i], "销号", date.fromordinal(origin + cleared), None))

    # Timelines.
    events = []
    supervised = ((closed > deadline) | ((closed < 0) & (accepted >= 0) & (deadline < last)))
    supervise_day = deadline + rng.integers(3, 10, n)
    terminated = (closed >= 0) & (list_type == "依法处理") & (rng.random(n) < 0.15)
    terminate_day = closed + rng.integers(30, 90, n)
    kinds = (("登记", received), ("交办", dispatched), ("受理", accepted),
             ("延期", np.where(extended & (accepted >= 0), due - 10, -1)),
             ("督办", np.where(supervised & (accepted >= 0), supervise_day, -1)),
             ("办结", closed), ("化解", resolved),
             ("终结", np.where(terminated, terminate_day, -1)))
    for kind, offsets in kinds:
        idx = np.flatnonzero((offsets >= 0) & (offsets <= last))
        for i, d in zip(idx, _dates(origin, offsets[idx])):
            events.append((case_no[i], kind, d, None))
    events.extend((r[0], "评价", r[1], r[3]) for r in eval_rows)
    events.extend(clear_events)
    return columns, rows, key_rows, eval_rows, events, planted


def scale_up(engine: Engine, copies: int) -> int:
    """Adds `copies` copies of every demo case and its evaluation, with new case numbers
    ("<number>-<k>"), then rebuilds the rollups: for timing at sizes (ten million cases) whose
    rows the generator could not hold in memory at once. Returns the number of cases."""
    columns = [c.name for c in schema.cases.columns if c.name != "id"]
    with engine.begin() as conn:
        base = conn.execute(text("SELECT MAX(id) FROM cases")).scalar() or 0
        for k in range(1, copies + 1):
            # New case numbers, and new petitioners: a copy is other people's cases, not the same
            # people coming back ten times.
            fresh = {"case_no": f"c.case_no || '-{k}'", "petitioner_key": f"c.petitioner_key || '-{k}'"}
            values = ", ".join(fresh.get(c, f"c.{c}") for c in columns)
            conn.execute(text(f"INSERT INTO cases ({', '.join(columns)}) SELECT {values} "
                              f"FROM cases c WHERE c.id <= :base"), {"base": base})
            conn.execute(text(
                f"INSERT INTO evaluations (case_no, evaluated_on, method, result, batch_id) "
                f"SELECT e.case_no || '-{k}', e.evaluated_on, e.method, e.result, e.batch_id "
                f"FROM evaluations e "
                f"JOIN cases c ON c.case_no = e.case_no WHERE c.id <= :base"), {"base": base})
        if conn.dialect.name == "postgresql":
            conn.execute(text("ANALYZE cases"))
            conn.execute(text("ANALYZE evaluations"))
        search_index.rebuild(conn)
        rollups.rebuild(conn)
        total = conn.execute(text("SELECT COUNT(*) FROM cases")).scalar()
    rollups.vacuum(engine)
    return total
