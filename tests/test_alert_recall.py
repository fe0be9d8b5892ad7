"""The detector measured on the demo: recall on planted clusters, false alarms on plain data.
The README quotes these figures (county profile, seed 5, data to 2025-12-31)."""
import json
from datetime import date, timedelta

from sqlalchemy import text

from data.database import make_engine
from data.demo import PLANTED_KEY, generate
from queries.alerts import cluster_alerts
from queries.filters import Filters
from tests.scoping import all_filters

END = date(2025, 12, 31)


def at(day: date) -> Filters:
    return all_filters(start=day, end=day, as_of=day)


def test_recall_on_planted_clusters(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'planted.db'}")
    generate(engine, profile="county", seed=5, end=END, plant_clusters=10)
    with engine.connect() as conn:
        planted = json.loads(conn.execute(text("SELECT value FROM settings WHERE key = :k"),
                                          {"k": PLANTED_KEY}).scalar())
    assert len(planted) == 10
    found = 0
    for cluster in planted:
        alerts = cluster_alerts(engine, at(date.fromisoformat(cluster["end"])))
        found += bool(((alerts["township_code"] == cluster["township_code"])
                       & (alerts["category"] == cluster["category"])).any())
    assert found >= 8  # measured: 8 of 10


def test_false_alarms_on_plain_data(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'plain.db'}")
    generate(engine, profile="county", seed=5, end=END)
    days = [date(2025, 1, 7) + timedelta(days=14 * i) for i in range(26)]
    alarms = sum(len(cluster_alerts(engine, at(day))) for day in days)
    assert alarms <= 26  # measured: 15 over 26 days, about 0.6 a day across 16 townships
