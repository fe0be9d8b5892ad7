"""综合查询 on the hand-computed fixture, SQLite and PostgreSQL: what the box finds, the filters,
the counts behind every overview figure, a case's timeline and its petitioner's history."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from data import schema, search_index
from queries.overview import headline_figures
from queries.scope import EVERYTHING, Scope
from queries.search import CaseQuery, case_timeline, petitioner_history, search_cases, search_count
from tests.fixture_cases import AS_OF, case_row
from tests.scoping import all_months

PERIOD = all_months("2025-01", "2025-03", AS_OF)
JIA = Scope("100100", "county", county="100100")
EXTRA = ("XF-2025-000777", "2025-02-20", "2025-02-21", "2025-04-21", None, None, "100100002", 2,
         {"summary": "二村村民反映屋顶漏水，要求维修", "petitioner_name": "王小二",
          "petitioner_phone": "13700000777", "petitioner_id_no": "530302199002023456",
          "channel": "电话"})


@pytest.fixture()
def engine(fixture_engine):
    """The fixture plus one case written afterwards, its search rows refreshed as an import does."""
    with fixture_engine.begin() as conn:
        conn.execute(schema.cases.insert(), [case_row(*EXTRA)])
        new_id = conn.execute(text("SELECT id FROM cases WHERE case_no = 'XF-2025-000777'")).scalar()
        search_index.refresh(conn, [new_id])
    return fixture_engine


def found(engine, q, filters=PERIOD, **more) -> list[str]:
    query = CaseQuery(text=q, **more)
    frame = search_cases(engine, filters, query)
    assert search_count(engine, filters, query) == len(frame)
    return sorted(frame["case_no"])


def test_the_box_finds_numbers_words_petitioners_leaders_units(engine):
    assert found(engine, "A1") == ["A1"]
    assert found(engine, "000777") == ["XF-2025-000777"]          # part of a number
    assert found(engine, "xf-2025") == ["XF-2025-000777"]         # letters in either case
    assert found(engine, "漏水") == ["XF-2025-000777"]            # a two-character word
    assert found(engine, "屋顶漏水") == ["XF-2025-000777"]
    assert found(engine, "测试件 C") == ["C1", "C2", "C3"]
    assert found(engine, "13700000777") == ["XF-2025-000777"]     # the full phone
    assert found(engine, "1370000") == []                         # never a part of it
    assert found(engine, "530302199002023456") == ["XF-2025-000777"]
    assert found(engine, "王小二") == ["XF-2025-000777"]
    assert found(engine, "王小") == []
    assert found(engine, "张某某") == ["A2"]                        # 包案领导
    assert found(engine, "人力资源") == ["A5"]                      # 责任单位
    assert found(engine, "100%_") == []                            # LIKE characters are plain text
    assert found(engine, "不存在的词") == []


def test_results_are_masked_and_newest_first(engine):
    frame = search_cases(engine, PERIOD, CaseQuery(text="13700000777"))
    assert list(frame["petitioner_masked"]) == ["王*二"]
    assert "13700000777" not in frame.to_string() and "petitioner_phone" not in frame.columns
    all_cases = search_cases(engine, PERIOD, CaseQuery())
    assert list(all_cases["received_on"]) == sorted(all_cases["received_on"], reverse=True)
    assert len(search_cases(engine, PERIOD, CaseQuery(), limit=5)) == 5
    assert search_count(engine, PERIOD, CaseQuery()) == 13


def test_filters(engine):
    assert found(engine, "", status="逾期") == ["B1"]
    assert found(engine, "", status="不满意") == ["B2"]
    assert found(engine, "", status="已评价") == ["A1", "B2", "C2"]
    assert found(engine, "", status="办结") == ["A1", "A2", "B2", "C1", "C2", "C3"]
    assert found(engine, "", channel="电话") == ["XF-2025-000777"]
    assert found(engine, "", repeat=True) == ["A2", "C2"]
    assert found(engine, "", escalation="越级") == ["A2", "B1", "C1"]
    assert found(engine, "", escalation="进京") == ["C1"]
    assert found(engine, "", key_case=True) == ["A2", "C1"]
    assert found(engine, "", collective=True) == ["A1"]
    assert found(engine, "", unit_id=3) == ["B1", "B2", "B3"]
    assert found(engine, "测试件", PERIOD.__class__.for_months(
        "2025-01", "2025-03", AS_OF, "100100", scope=EVERYTHING), status="在办") == [
        "A3", "A4", "A5", "A6"]
    with pytest.raises(ValueError, match="办理状态"):
        CaseQuery(status="挂起")


def test_counts_equal_direct_sql(engine):
    for query, sql in (
            (CaseQuery(status="在办"), "closed_on IS NULL OR closed_on > :as_of"),
            (CaseQuery(status="逾期"), "(closed_on IS NULL OR closed_on > :as_of) AND "
                                       "COALESCE(extended_due_on, due_on) < :as_of"),
            (CaseQuery(text="测试件"), "summary LIKE '%测试件%'")):
        with engine.connect() as conn:
            direct = conn.execute(text(f"SELECT COUNT(*) FROM cases WHERE ({sql}) AND received_on "
                                       "BETWEEN :s AND :e"),
                                  {"as_of": AS_OF, "s": PERIOD.start, "e": PERIOD.end}).scalar()
        assert search_count(engine, PERIOD, query) == direct


def test_every_overview_count_drills_to_as_many_cases(fixture_engine):
    figures = headline_figures(fixture_engine, PERIOD).set_index("period").loc["current"]
    drills = {"case_count": CaseQuery(), "collective_count": CaseQuery(collective=True),
              "to_city_count": CaseQuery(escalation="到市"),
              "to_province_count": CaseQuery(escalation="到省"),
              "to_beijing_count": CaseQuery(escalation="进京"),
              "open_count": CaseQuery(status="在办"), "overdue_count": CaseQuery(status="逾期"),
              "repeat_num": CaseQuery(repeat=True)}
    for column, query in drills.items():
        for filters in (PERIOD, all_months("2025-01", "2025-03", AS_OF, "100100"),
                        all_months("2025-02", "2025-03", AS_OF, "100200", "100200001")):
            figure = headline_figures(fixture_engine, filters).set_index("period").loc["current"]
            assert search_count(fixture_engine, filters, query) == int(figure[column]), column
    assert int(figures["satisfaction_den"]) - int(figures["satisfaction_num"]) == search_count(
        fixture_engine, PERIOD, CaseQuery(status="不满意"))


def rows(frame):
    return [(s, d.isoformat(), p, late) for s, d, p, late in zip(
        frame["step"], frame["happened_on"], frame["days_since_previous"], frame["is_late"])]


def test_timelines_in_order_with_days_and_late_steps(fixture_engine):
    assert rows(case_timeline(fixture_engine, EVERYTHING, "B1", AS_OF)) == [
        ("登记", "2025-01-10", 0, False), ("交办", "2025-01-12", 2, False),
        ("受理", "2025-01-12", 0, False), ("督办", "2025-03-20", 67, False),  # 04-10 not yet
        ("至统计日仍未办结", "2025-03-31", 11, True)]
    assert rows(case_timeline(fixture_engine, EVERYTHING, "A2", AS_OF)) == [
        ("登记", "2025-01-05", 0, False), ("列入重点案件", "2025-01-20", 15, False),
        ("交办", "2025-01-25", 5, False), ("受理", "2025-01-25", 0, True),  # 20 days > 15
        ("办结", "2025-03-28", 62, True)]                                     # deadline 03-26
    a1 = case_timeline(fixture_engine, EVERYTHING, "A1", AS_OF)
    assert list(a1["step"]) == ["登记", "交办", "受理", "办结", "化解", "评价"]
    assert list(a1["days_since_received"]) == [0, 5, 5, 55, 59, 59]
    assert "满意" in a1["note"].iloc[-1]
    assert case_timeline(fixture_engine, JIA, "B1", AS_OF).empty  # outside the county


def test_petitioner_history_groups_the_same_person(fixture_engine):
    with fixture_engine.begin() as conn:
        conn.execute(text("UPDATE cases SET petitioner_id_no = '110101199001011111' "
                          "WHERE case_no IN ('A3', 'B2')"))
        conn.execute(text("UPDATE cases SET petitioner_id_no = NULL, petitioner_phone = '13600000001' "
                          "WHERE case_no IN ('A4', 'A5')"))
    history = petitioner_history(fixture_engine, EVERYTHING, "A3", AS_OF)
    assert list(history["case_no"]) == ["B2", "A3"]
    assert list(history["is_this_case"]) == [False, True]
    assert list(history["days_since_previous"])[1] == (date(2025, 3, 25) - date(2025, 1, 15)).days
    assert list(petitioner_history(fixture_engine, JIA, "A3", AS_OF)["case_no"]) == ["A3"]
    assert list(petitioner_history(fixture_engine, EVERYTHING, "A5", AS_OF)["case_no"]) == ["A4", "A5"]
    others = petitioner_history(fixture_engine, EVERYTHING, "A1", AS_OF)
    assert sorted(others["case_no"]) == sorted(
        ["A1", "A2", "A6", "B1", "B3", "C1", "C2", "C3", "D1", "E1"])
    assert list(others.loc[others["case_no"] == "A2", "is_repeat"]) == [True]
    assert list(others.loc[others["case_no"] == "C1", "escalation"]) == ["进京"]
