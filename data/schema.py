"""The case database: every table, in SQLAlchemy Core. Chinese meanings are in README.md."""
from sqlalchemy import (
    Boolean, Column, Date, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, MetaData, String,
    Table, Text,
)

metadata = MetaData()

REGION_LEVELS = ("city", "county", "township", "village")
UNIT_KINDS = ("township", "department")
CHANNELS = ("来信", "来访", "网上信访", "电话", "手机App", "微信")
ESCALATIONS = ("本级", "到市", "到省", "进京")
PURPOSES = ("求决", "揭发控告", "意见建议")
STATUSES = ("待受理", "办理中", "已办结")
LIST_TYPES = ("合理诉求", "教育疏导", "帮扶救助", "依法处理")
EVAL_METHODS = ("电话回访", "微信", "App")
EVAL_RESULTS = ("满意", "基本满意", "不满意")
KEY_CASE_STAGES = ("摸排建档", "化解中", "待验收", "已销号")
EVENT_KINDS = ("登记", "受理", "交办", "延期", "督办", "办结", "评价", "化解", "销号", "终结")
CATEGORIES = (
    "城乡建设", "农村农业", "劳动和社会保障", "国土资源", "政法", "环境保护", "民政", "卫生健康",
    "教育文体", "交通运输", "组织人事", "纪检监察", "党务政务", "商贸旅游", "经济管理",
    "科技与信息产业", "其他",
)

regions = Table(
    "regions", metadata,
    Column("code", String(12), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("level", String(16), nullable=False),
    Column("parent_code", String(12), index=True),
    Column("lon", Float),
    Column("lat", Float),
    Column("population", Integer),
    Column("boundary", Text),
    Column("boundary_schematic", Boolean, nullable=False, default=False),
)

units = Table(
    "units", metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("region_code", String(12), ForeignKey("regions.code"), nullable=False, index=True),
)

cases = Table(
    "cases", metadata,
    Column("id", Integer, primary_key=True),
    Column("case_no", String(40), nullable=False, unique=True),
    Column("received_on", Date, nullable=False),
    Column("channel", String(16), nullable=False),
    Column("person_count", Integer, nullable=False, default=1),
    Column("is_collective", Boolean, nullable=False, default=False),
    Column("escalation", String(8), nullable=False, default="本级"),
    Column("is_repeat", Boolean, nullable=False, default=False),
    Column("category", String(32), nullable=False),
    Column("subcategory", String(64)),
    Column("purpose", String(16)),
    Column("county_code", String(12), ForeignKey("regions.code")),
    Column("township_code", String(12), ForeignKey("regions.code")),
    Column("village_code", String(12)),
    Column("lon", Float),
    Column("lat", Float),
    Column("summary", Text),
    Column("unit_id", Integer, ForeignKey("units.id")),
    Column("dispatched_on", Date),
    Column("accepted_on", Date),
    Column("due_on", Date),
    Column("extended_due_on", Date),
    Column("closed_on", Date),
    Column("resolved_on", Date),
    Column("status", String(16), nullable=False),
    Column("list_type", String(16)),
    Column("petitioner_name", String(64)),
    Column("petitioner_phone", String(32)),
    Column("petitioner_id_no", String(32)),
    Column("petitioner_key", String(64)),
    Column("batch_id", Integer),  # the import batch (import_batches) that last wrote the case
    Index("ix_cases_received_on", "received_on"),
    # Registration day with the position: the map's density in the current month, from the index.
    Index("ix_cases_received_position", "received_on", "lon", "lat"),
    Index("ix_cases_county_received", "county_code", "received_on"),
    Index("ix_cases_township_received", "township_code", "received_on"),
    # One category in one township over a window: the cases behind a cluster warning, with their
    # numbers, from the index alone.
    Index("ix_cases_township_category", "township_code", "category", "received_on", "case_no"),
    Index("ix_cases_unit", "unit_id"),
    # Open cases with their deadline, registration day and id: overdue lists from the index alone.
    Index("ix_cases_open", "closed_on", "due_on", "extended_due_on", "received_on", "id"),
    Index("ix_cases_petitioner_received", "petitioner_key", "received_on"),
    # Search by a petitioner's full name, phone or ID number (data/search_index.py has the text search).
    Index("ix_cases_petitioner_phone", "petitioner_phone"),
    Index("ix_cases_petitioner_id_no", "petitioner_id_no"),
    Index("ix_cases_petitioner_name", "petitioner_name"),
    Index("ix_cases_batch", "batch_id"),
)

key_cases = Table(
    "key_cases", metadata,
    Column("id", Integer, primary_key=True),
    Column("case_no", String(40), ForeignKey("cases.case_no"), nullable=False, unique=True),
    Column("listed_on", Date, nullable=False),
    Column("leader", String(64), nullable=False),
    Column("requirements", Text),
    Column("resolve_by", Date, nullable=False),
    Column("progress_pct", Integer, nullable=False, default=0),
    Column("stage", String(16), nullable=False),
    Column("cleared_on", Date),
    Column("batch_id", Integer),
)

evaluations = Table(
    "evaluations", metadata,
    Column("id", Integer, primary_key=True),
    Column("case_no", String(40), ForeignKey("cases.case_no"), nullable=False, unique=True),
    Column("evaluated_on", Date, nullable=False),
    Column("method", String(16), nullable=False),
    Column("result", String(8), nullable=False),
    Column("batch_id", Integer),
    # The newest 不满意 evaluations first, without reading the others (satisfaction page).
    Index("ix_evaluations_result_day", "result", "evaluated_on"),
)

case_events = Table(
    "case_events", metadata,
    Column("id", Integer, primary_key=True),
    Column("case_no", String(40), ForeignKey("cases.case_no"), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("happened_on", Date, nullable=False),
    Column("note", Text),
    Column("batch_id", Integer),
    Index("ix_case_events_case_kind_day", "case_no", "kind", "happened_on"),
)

# Every write of an import, and of the demo generator, is a batch: who wrote what file when. Rows a
# batch wrote carry its id (batch_id); batch_changes keeps each row's state before the batch, so
# that the batch can be undone as a whole.
import_batches = Table(
    "import_batches", metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),          # cases, evaluations, key-cases, regions, ...
    Column("file_name", String(255), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("row_count", Integer, nullable=False, default=0),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(64), nullable=False),    # an account name, or 'cli' / '页面'
    Column("is_demo", Boolean, nullable=False, default=False),
    Column("undone_at", DateTime),
)

batch_changes = Table(
    "batch_changes", metadata,
    Column("id", Integer, primary_key=True),
    Column("batch_id", Integer, ForeignKey("import_batches.id"), nullable=False),
    Column("table_name", String(32), nullable=False),
    Column("row_key", String(64), nullable=False),        # case_no, or a region or unit code
    Column("before", Text),                               # the row before, as JSON; NULL: added
    Index("ix_batch_changes_batch", "batch_id", "table_name"),
    Index("ix_batch_changes_key", "row_key", "batch_id"),
)

# settings keys that the data layer writes and the pages read.
DEMO_BANNER_KEY = "data_source"  # "demo" while the demo data is loaded, "real" after an import
AS_OF_KEY = "as_of"              # the demo's fixed "today", when generated with --end

settings = Table(
    "settings", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# Rollups (data/rollups.py): the cases' figures as dated steps, summed per registration month,
# county and one breakdown (township, unit, category, channel or evaluation method); one table by
# step day, one by step month. Derived data, rebuilt at will.
ROLLUP_MEASURES = (
    "case_count", "person_count", "collective_count", "collective_person_count",
    "to_city_count", "to_city_person_count", "to_province_count", "to_province_person_count",
    "to_beijing_count", "to_beijing_person_count", "repeat_num", "open_count", "overdue_count",
    "closed_events", "closed_late_events", "resolved_events", "dispatched_events",
    "handling_days_sum", "handling_count", "timely_accept_num", "timely_accept_den",
    "ontime_close_num", "ontime_close_den", "participation_num", "participation_den",
    "satisfaction_num", "satisfaction_den", "satisfaction_strict_num",
)


def _rollup_table(name: str, step: str) -> Table:
    return Table(
        name, metadata,
        # The breakdown this row belongs to, and the township code, unit id, category, channel or
        # evaluation method within it ('' for none; data/rollups.py, CUBES).
        Column("cube", String(1), primary_key=True),
        Column(step, Date, primary_key=True),
        Column("received_month", Date, primary_key=True),
        Column("county_code", String(12), primary_key=True),
        Column("member", String(64), primary_key=True),
        *[Column(m, Integer, nullable=False, default=0) for m in ROLLUP_MEASURES],
        sqlite_with_rowid=False,  # stored in key order: a day's or a month's rows lie together
    )


rollup_daily = _rollup_table("rollup_daily", "step_day")
rollup_monthly = _rollup_table("rollup_monthly", "step_month")

GRID_DEGREES = 0.02  # the case-density grid of the situation map, in degrees

# Cases per registration month and grid cell, for the map's density layer.
rollup_grid = Table(
    "rollup_grid", metadata,
    Column("received_month", Date, primary_key=True),
    Column("county_code", String(12), primary_key=True),
    Column("township_code", String(12), primary_key=True),
    Column("lon_cell", Integer, primary_key=True),
    Column("lat_cell", Integer, primary_key=True),
    Column("case_count", Integer, nullable=False),
    sqlite_with_rowid=False,
)

# Cases registered per township and category, as running totals: up to each month's end
# (rollup_arrivals_monthly), and from the month's first day to each day (rollup_arrivals); for the
# early-warning windows.
ARRIVAL_MEASURES = ("case_count", "collective_count", "to_city_count", "to_province_count",
                    "to_beijing_count")


def _arrivals_table(name: str, day: str) -> Table:
    return Table(
        name, metadata,
        Column(day, Date, primary_key=True),
        Column("county_code", String(12), primary_key=True),
        Column("township_code", String(12), primary_key=True),
        Column("category", String(32), primary_key=True),
        *[Column(m, Integer, nullable=False) for m in ARRIVAL_MEASURES],
        sqlite_with_rowid=False,
    )


rollup_arrivals = _arrivals_table("rollup_arrivals", "received_on")
rollup_arrivals_monthly = _arrivals_table("rollup_arrivals_monthly", "month")

# Petitioners (stable key) with two cases or more, and how many: the repeat-petitioner warning
# reads only their cases. A count may run high after a case changes petitioner, never low.
rollup_petitioners = Table(
    "rollup_petitioners", metadata,
    Column("petitioner_key", String(64), primary_key=True),
    Column("case_count", Integer, nullable=False),
    Index("ix_rollup_petitioners_count", "case_count", "petitioner_key"),
)

# Accounts: one role and one jurisdiction (a region code: the city, a county or a township) each.
ROLES = ("admin", "leader", "staff", "viewer")
accounts = Table(
    "accounts", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(64)),
    Column("email", String(128)),
    Column("password_hash", String(256)),
    Column("role", String(16), nullable=False),
    Column("region_code", String(12), nullable=False),
    Column("must_change_password", Boolean, nullable=False, default=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("failed_count", Integer, nullable=False, default=0),
    Column("locked_until", DateTime),
    Column("created_at", DateTime, nullable=False),
    Column("password_changed_at", DateTime),
)

# Who did what, when: appended by the app, never updated or deleted (triggers refuse both).
audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("username", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("target", Text),
    Column("detail", Text),
    Column("result", String(16), nullable=False),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_user_at", "username", "at"),
)

# Circulars and reports as issued (签发): the file exactly as sent, with the scheme and figures it
# was built from, so it can be downloaded unchanged after the live figures move on.
ISSUED_KINDS = ("circular", "report")
issued_documents = Table(
    "issued_documents", metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("period", String(16), nullable=False),
    Column("region_code", String(12)),
    Column("title", String(200), nullable=False),
    Column("doc_number", String(64), nullable=False, unique=True),
    Column("issued_on", Date, nullable=False),
    Column("file_name", String(200), nullable=False),
    Column("scheme_json", Text),
    Column("figures_json", Text, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("issued_at", DateTime, nullable=False),
    Column("issued_by", String(64), nullable=False),
    Index("ix_issued_documents_kind_period", "kind", "period"),
)
