"""A small jurisdiction with hand-computed figures (see test_rates.py for every expectation).

Period 2025-01..2025-03, figures taken on AS_OF = 2025-03-31.
"""
from __future__ import annotations

from datetime import date

from data import rollups, schema, search_index
from data.database import write_setting

AS_OF = date(2025, 3, 31)
D = date.fromisoformat

REGIONS = [
    ("100000", "测试市", "city", None, 103.8, 25.5, 300000),
    ("100100", "甲县", "county", "100000", 103.7, 25.4, 200000),
    ("100200", "乙县", "county", "100000", 103.9, 25.6, 100000),
    ("100100001", "一镇", "township", "100100", 103.71, 25.41, 120000),
    ("100100002", "二镇", "township", "100100", 103.72, 25.42, 80000),
    ("100200001", "三镇", "township", "100200", 103.91, 25.61, 100000),
]
UNITS = [
    (1, "100100001", "一镇", "township", "100100001"),
    (2, "100100002", "二镇", "township", "100100002"),
    (3, "100200001", "三镇", "township", "100200001"),
    (4, "100000-D01", "市人力资源和社会保障局", "department", "100000"),
]

# case_no, received, accepted, due, extended_due, closed, township, unit, extra
CASES = [
    ("A1", "2025-01-05", "2025-01-10", "2025-03-11", None, "2025-03-01", "100100001", 1,
     {"is_collective": True, "person_count": 8, "resolved_on": date(2025, 3, 5)}),
    ("A2", "2025-01-05", "2025-01-25", "2025-03-26", None, "2025-03-28", "100100001", 1,
     {"escalation": "到省", "person_count": 3, "is_repeat": True}),
    ("A3", "2025-03-25", None, None, None, None, "100100002", 2, {}),
    ("A4", "2025-02-01", None, None, None, None, "100100002", 2, {}),
    ("A5", "2025-03-20", "2025-03-22", "2025-05-21", None, None, "100100002", 4,
     {"category": "劳动和社会保障"}),
    ("A6", "2025-01-01", "2025-01-16", "2025-03-17", "2025-04-16", None, "100100001", 1, {}),
    ("B1", "2025-01-10", "2025-01-12", "2025-03-13", None, None, "100200001", 3,
     {"escalation": "到市", "person_count": 2}),
    ("B2", "2025-01-15", "2025-01-16", "2025-03-17", None, "2025-03-17", "100200001", 3, {}),
    ("B3", "2025-02-10", "2025-02-11", "2025-04-12", None, "2025-04-05", "100200001", 3, {}),
    ("C1", "2025-01-02", "2025-01-03", "2025-03-04", None, "2025-01-20", "100100001", 1,
     {"escalation": "进京"}),
    ("C2", "2025-01-03", "2025-01-04", "2025-03-05", None, "2025-02-01", "100100002", 2,
     {"is_repeat": True}),
    ("C3", "2025-01-04", "2025-01-05", "2025-03-06", None, "2025-02-10", "100100002", 2, {}),
    # Outside the period: the day before it starts.
    ("D1", "2024-12-31", "2025-01-02", "2025-03-03", None, "2025-01-30", "100100001", 1, {}),
    # The same period a year earlier.
    ("E1", "2024-02-10", "2024-02-12", "2024-04-12", None, "2024-03-01", "100100001", 1, {}),
]
EVALUATIONS = [
    ("A1", "2025-03-05", "电话回访", "满意"),
    ("B2", "2025-03-20", "微信", "不满意"),
    ("C2", "2025-02-05", "App", "基本满意"),
    ("C3", "2025-04-02", "电话回访", "满意"),  # after AS_OF: not yet evaluated then
    ("D1", "2025-02-03", "电话回访", "不满意"),
    ("E1", "2024-03-05", "电话回访", "满意"),
]
EVENTS = [
    ("B1", "督办", "2025-03-20"),
    ("B1", "督办", "2025-04-10"),  # after the end of March
]
KEY_CASES = [
    ("A2", "2025-01-20", "副市长 张某某", "限期化解", "2025-04-20", 60, "化解中", None),
    ("C1", "2025-01-10", "市委常委 李某某", "依法终结", "2025-03-10", 100, "已销号", "2025-03-05"),
]


def case_row(case_no, received, accepted, due, extended, closed, township, unit, extra) -> dict:
    county = township[:6]
    row = {
        "case_no": case_no, "received_on": D(received), "channel": "来访", "person_count": 1,
        "is_collective": False, "escalation": "本级", "is_repeat": False, "category": "城乡建设",
        "purpose": "求决", "county_code": county, "township_code": township,
        "summary": f"测试件 {case_no}", "unit_id": unit,
        "accepted_on": D(accepted) if accepted else None, "due_on": D(due) if due else None,
        "dispatched_on": D(accepted) if accepted else None,
        "extended_due_on": D(extended) if extended else None,
        "closed_on": D(closed) if closed else None, "resolved_on": None,
        "status": "已办结" if closed else ("办理中" if accepted else "待受理"),
        "petitioner_name": "张三丰", "petitioner_phone": "13912345678",
        "petitioner_id_no": "530302198001011234", "petitioner_key": f"k-{case_no}",
    }
    row.update(extra)
    return row


def load_places(conn) -> None:
    """The fixture's regions and units."""
    conn.execute(schema.regions.insert(), [
        dict(zip(("code", "name", "level", "parent_code", "lon", "lat", "population"), r),
             boundary_schematic=False) for r in REGIONS])
    conn.execute(schema.units.insert(), [
        dict(zip(("id", "code", "name", "kind", "region_code"), u)) for u in UNITS])


def load_fixture(engine) -> None:
    with engine.begin() as conn:
        load_places(conn)
        conn.execute(schema.cases.insert(), [case_row(*c) for c in CASES])
        conn.execute(schema.evaluations.insert(), [
            {"case_no": c, "evaluated_on": D(d), "method": m, "result": r} for c, d, m, r in EVALUATIONS])
        conn.execute(schema.key_cases.insert(), [
            dict(zip(("case_no", "listed_on", "leader", "requirements", "resolve_by", "progress_pct",
                      "stage", "cleared_on"), (k[0], D(k[1]), k[2], k[3], D(k[4]), k[5], k[6],
                                               D(k[7]) if k[7] else None))) for k in KEY_CASES])
        conn.execute(schema.case_events.insert(), [
            {"case_no": c, "kind": k, "happened_on": D(d)} for c, k, d in EVENTS])
        write_setting(conn, "as_of", AS_OF.isoformat())
        search_index.rebuild(conn)
        rollups.rebuild(conn)
