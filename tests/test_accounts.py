"""Accounts: sign-in, lockout, first sign-in, idle time-out, scoping on every page, the audit log,
the command line, identity providers. Pages through AppTest on the hand-computed fixture."""
from __future__ import annotations

import json
import time
from datetime import date

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from data import accounts
from data.accounts import (
    FAILED, AccountError, add_account, authenticate, find_account_by_identity, get_account,
)
from tests.signin import PASSWORD, add_test_accounts, choice_texts, html_tables, notes, open_expander, sign_in, signed_in_app, titles

PAGES = ["overview", "situation_map", "bigscreen", "dispatch", "satisfaction", "ranking", "alerts",
         "search", "data_import"]
OTHER_PLACES = ("二镇", "三镇", "乙县")


def _audit(engine, action=None):
    sql = "SELECT username, action, target, result FROM audit_log"
    params = {}
    if action:
        sql += " WHERE action = :a"
        params["a"] = action
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql + " ORDER BY id"), params)]


@pytest.fixture()
def accounts_engine(fixture_engine):
    add_test_accounts(fixture_engine)
    return fixture_engine


def test_passwords_are_argon2id_and_checked(accounts_engine):
    with accounts_engine.connect() as conn:
        hashes = [r[0] for r in conn.execute(text("SELECT password_hash FROM accounts"))]
    assert hashes and all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)
    assert authenticate(accounts_engine, "city", PASSWORD).region_code == "100000"
    assert authenticate(accounts_engine, "city", "wrong-1234") is None
    assert authenticate(accounts_engine, "nobody", PASSWORD) is None
    with pytest.raises(AccountError):
        add_account(accounts_engine, "short", "staff", "100100", password="abc1")
    with pytest.raises(AccountError):
        add_account(accounts_engine, "bad region", "staff", "100100")
    with pytest.raises(AccountError):
        add_account(accounts_engine, "x", "staff", "999999")


def test_five_failures_lock_the_account_for_15_minutes(accounts_engine):
    for _ in range(5):
        assert authenticate(accounts_engine, "jia_leader", "wrong-pass-1") is None
    assert authenticate(accounts_engine, "jia_leader", PASSWORD) is None  # locked: right password too
    assert [r[1] for r in _audit(accounts_engine, "lockout")] == ["lockout"]
    with accounts_engine.begin() as conn:  # fifteen minutes later
        conn.execute(text("UPDATE accounts SET locked_until = :t WHERE username = 'jia_leader'"),
                     {"t": accounts._now().replace(year=2000)})
    assert authenticate(accounts_engine, "jia_leader", PASSWORD) is not None
    failed = _audit(accounts_engine, "sign_in_failed")
    assert len(failed) == 6 and all(r[3] == "失败" for r in failed)


def test_disabled_accounts_cannot_sign_in(accounts_engine):
    accounts.set_disabled(accounts_engine, "jia_leader", True)
    assert authenticate(accounts_engine, "jia_leader", PASSWORD) is None
    assert get_account(accounts_engine, "jia_leader") is None


def test_identity_provider_and_proxy_mapping(accounts_engine):
    add_account(accounts_engine, "wang", "leader", "100100", password=PASSWORD, must_change=False,
                email="Wang.Wu@gov.example")
    assert find_account_by_identity(accounts_engine, "wang.wu@gov.example", None).username == "wang"
    assert find_account_by_identity(accounts_engine, None, "city").username == "city"
    assert find_account_by_identity(accounts_engine, "nobody@gov.example", "nobody") is None
    accounts.set_disabled(accounts_engine, "wang", True)
    assert find_account_by_identity(accounts_engine, "wang.wu@gov.example", None) is None
    from ui.auth import account_from_headers

    assert account_from_headers(accounts_engine, {"X-Remote-User": "city"}, "X-Remote-User").username == "city"
    assert account_from_headers(accounts_engine, {"X-Remote-User": "city"}, None) is None
    assert account_from_headers(accounts_engine, {}, "X-Remote-User") is None
    assert account_from_headers(accounts_engine, {"X-Remote-User": "nobody"}, "X-Remote-User") is None


@pytest.mark.parametrize("page", PAGES)
def test_unsigned_visits_show_only_the_form(app_db, page):
    path = "app.py"
    at = signed_in_app(path, user=None, **{"county": "100200"})
    if page != "overview":
        at.switch_page(f"pages/{page}.py").run()
    shown = " ".join([m.value for m in at.markdown] + titles(at)
                     + notes(at) + [w.value for w in at.warning]
                     + [h.proto.body for h in at.get("html")])
    assert [b.label for b in at.text_input] == ["用户名", "密码"]
    assert not at.dataframe and not at.metric and not at.selectbox
    for leaked in ("信访总量", "一镇", "甲县", "筛选条件"):
        assert leaked not in shown


def test_wrong_password_one_message(app_db):
    at = signed_in_app(user=None)
    sign_in(at, "city", "wrong-pass-1")
    first = [e.value for e in at.error]
    sign_in(at, "nobody", "wrong-pass-1")
    assert first == [e.value for e in at.error] == [FAILED]


def _all_text(at) -> str:
    parts = [m.value for m in at.markdown] + notes(at)
    parts += titles(at) + [w.value for w in at.warning] + [i.value for i in at.info]
    parts += [h.proto.body for h in at.get("html")]  # the figure cards
    for frame in at.dataframe:
        value = getattr(frame.value, "data", frame.value)
        parts.append(value.to_string())
    for box in at.selectbox:
        parts.extend(str(o) for o in box.options)
    parts += choice_texts(at)  # the browser's own drop-downs
    parts += [frame.to_string() for frame in html_tables(at)]  # the HTML tables' cells
    return " ".join(parts)


@pytest.mark.parametrize("user,others", [("yizhen_staff", OTHER_PLACES), ("jia_leader", ("三镇", "乙县"))],
                         ids=["township", "county"])
@pytest.mark.parametrize("page", PAGES)
def test_account_sees_only_its_jurisdiction(app_db, page, user, others):
    at = signed_in_app(user=user, **{"from": "2025-01", "to": "2025-03"})
    if page != "overview":
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, at.exception
    shown = _all_text(at)
    for other in others:
        assert other not in shown, f"{page} shows {other}"


def test_township_figures_equal_a_direct_count_and_url_cannot_widen(app_db):
    from tests.test_pages import card

    with app_db.connect() as conn:
        cases, persons = conn.execute(text(
            "SELECT COUNT(*), SUM(person_count) FROM cases WHERE township_code = '100100001' "
            "AND received_on BETWEEN '2025-01-01' AND '2025-03-31'")).one()
    at = signed_in_app(user="yizhen_staff", **{"from": "2025-01", "to": "2025-03",
                                               "county": "100200", "township": "100200001"})
    assert card(at, "信访总量") == f"{cases} 件 | {persons} 人次"
    assert any("不在本账号辖区内" in w.value for w in at.warning)
    # The county account: its own townships; the city-wide account: everything.
    county = signed_in_app(user="jia_leader", **{"from": "2025-01", "to": "2025-03"})
    with app_db.connect() as conn:
        jia = conn.execute(text("SELECT COUNT(*) FROM cases WHERE county_code = '100100' "
                                "AND received_on BETWEEN '2025-01-01' AND '2025-03-31'")).scalar()
    assert card(county, "信访总量").startswith(f"{jia} 件")
    assert card(signed_in_app(user="city", **{"from": "2025-01", "to": "2025-03"}),
                "信访总量").startswith("12 件")


def test_two_sessions_two_jurisdictions_no_cache_leak(app_db):
    from tests.test_pages import card

    city = signed_in_app(user="city", **{"from": "2025-01", "to": "2025-03"})
    town = signed_in_app(user="yizhen_staff", **{"from": "2025-01", "to": "2025-03"})
    city.run()
    assert card(city, "信访总量").startswith("12 件")
    assert card(town, "信访总量").startswith("4 件")
    town.switch_page("pages/situation_map.py").run()
    city.switch_page("pages/situation_map.py").run()
    assert "二镇" not in _all_text(town) and "三镇" in " ".join(choice_texts(city))


def test_roles_and_permissions_on_pages(app_db):
    viewer = signed_in_app(user="sanzhen_viewer")
    viewer.switch_page("pages/data_import.py").run()
    assert any("无权导入数据" in w.value for w in viewer.warning)
    assert not viewer.get("file_uploader")
    viewer.switch_page("pages/situation_map.py").run()
    assert not viewer.get("download_button")
    staff = signed_in_app(user="yizhen_staff")
    staff.switch_page("pages/data_import.py").run()
    assert staff.get("file_uploader") and not staff.get("button") or all(
        b.key != "remove_demo" for b in staff.button)
    open_expander(staff.switch_page("pages/ranking.py"), "rank_scheme_open")
    assert staff.button(key="save_scheme").disabled
    leader = signed_in_app(user="jia_leader")
    open_expander(leader.switch_page("pages/ranking.py"), "rank_scheme_open")
    assert not leader.button(key="save_scheme").disabled
    leader.button(key="save_scheme").click().run()
    assert [r[:2] for r in _audit(app_db, "scheme_change")] == [("jia_leader", "scheme_change")]


def test_admin_pages_only_for_admins(app_db):
    admin = signed_in_app(user="city")
    admin.switch_page("pages/accounts.py").run()
    assert not admin.exception and "账号管理" in titles(admin)[0]
    assert "yizhen_staff" in admin.dataframe[0].value.to_string()
    admin.switch_page("pages/audit.py").run()
    assert not admin.exception and "sign_in" not in _all_text(admin) and "登录" in _all_text(admin)
    staff = signed_in_app(user="yizhen_staff")
    with pytest.raises(ValueError):  # not even registered for this role
        staff.switch_page("pages/audit.py")
    direct = signed_in_app("pages/audit.py", user="yizhen_staff")  # the script run by its path
    assert any("无权查看审计日志" in w.value for w in direct.warning) and not direct.dataframe
    direct = signed_in_app("pages/accounts.py", user="jia_leader")
    assert any("无权管理账号" in w.value for w in direct.warning) and not direct.dataframe


def test_sign_out_and_idle_time_out(app_db):
    from ui.auth import SEEN_KEY

    at = signed_in_app(user="city")
    at.button(key="sign_out_button").click().run()
    assert [b.label for b in at.text_input] == ["用户名", "密码"]
    at = signed_in_app(user="city")
    at.session_state[SEEN_KEY] = time.time() - 3 * 3600
    at.run()
    assert [b.label for b in at.text_input] == ["用户名", "密码"]
    assert any("长时间未操作" in i.value for i in at.info)
    actions = [r[1] for r in _audit(app_db) if r[0] == "city"]
    assert "sign_out" in actions and "idle_sign_out" in actions


def test_unmasking_is_per_case_and_audited(app_db):
    from queries.personal import petitioner_details
    from queries.scope import Scope

    with app_db.begin() as conn:
        conn.execute(text("UPDATE cases SET petitioner_name = '张三丰', petitioner_phone = '13812345678', "
                          "petitioner_id_no = '530302199001011234' WHERE case_no = 'A1'"))
    yizhen = Scope("100100001", "township", county="100100", township="100100001")
    sanzhen = Scope("100200001", "township", county="100200", township="100200001")
    assert petitioner_details(app_db, yizhen, "A1")["petitioner_phone"].iloc[0] == "13812345678"
    assert petitioner_details(app_db, sanzhen, "A1").empty
    from streamlit.testing.v1 import AppTest

    def page():
        import streamlit as st

        from queries.scope import Scope
        from ui.auth import ACCOUNT_KEY
        from ui.database import app_engine
        from ui.personal import petitioner_panel

        st.session_state.setdefault(ACCOUNT_KEY, __import__("data.accounts", fromlist=["x"]).get_account(
            app_engine(), "yizhen_staff"))
        petitioner_panel(app_engine(), Scope("100100001", "township", county="100100",
                                             township="100100001"), "A1", "p")

    at = AppTest.from_function(page, default_timeout=60).run()
    values = [box.value for box in at.text_input]
    assert values == ["张*丰", "138****5678", "530302********1234"]
    at.button(key="p_unmask").click().run()
    assert [box.value for box in at.text_input] == ["张三丰", "13812345678", "530302199001011234"]
    assert _audit(app_db, "unmask") == [("yizhen_staff", "unmask", "A1", "成功")]


def test_audit_log_is_append_only(accounts_engine):
    authenticate(accounts_engine, "city", PASSWORD)
    with pytest.raises(Exception):
        with accounts_engine.begin() as conn:
            conn.execute(text("UPDATE audit_log SET result = 'x'"))
    with pytest.raises(Exception):
        with accounts_engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_log"))
    assert len(_audit(accounts_engine)) >= 5


def test_command_line_accounts_and_audit(app_db, monkeypatch):
    import cli

    runner = CliRunner()
    url = str(app_db.url)
    added = runner.invoke(cli.app, ["user", "add", "li", "--role", "staff", "--region", "100200001",
                                    "--url", url])
    assert added.exit_code == 0 and "初始密码" in added.output
    assert get_account(app_db, "li").must_change_password
    given = runner.invoke(cli.app, ["user", "add", "zhao", "--role", "leader", "--region", "100100",
                                    "--password-stdin", "--url", url], input="Zhao-pass-2025\n")
    assert given.exit_code == 0 and "Zhao-pass-2025" not in given.output
    assert not get_account(app_db, "zhao").must_change_password
    assert authenticate(app_db, "zhao", "Zhao-pass-2025") is not None
    bad = runner.invoke(cli.app, ["user", "add", "wu", "--role", "boss", "--region", "100100", "--url", url])
    assert bad.exit_code == 2 and "角色" in bad.output
    listed = runner.invoke(cli.app, ["user", "list", "--url", url])
    assert "li\t工作人员\t100200001\t须改密码" in listed.output
    assert runner.invoke(cli.app, ["user", "disable", "li", "--url", url]).exit_code == 0
    assert get_account(app_db, "li") is None
    reset = runner.invoke(cli.app, ["user", "reset-password", "zhao", "--password-stdin", "--url", url],
                          input="Neu-pass-2026\n")
    assert reset.exit_code == 0 and authenticate(app_db, "zhao", "Neu-pass-2026") is not None
    lines = runner.invoke(cli.app, ["audit", "--json", "--since", date.today().isoformat(),
                                    "--url", url]).output.strip().splitlines()
    records = [json.loads(line) for line in lines]
    assert {"at", "user", "action"} <= set(records[0])
    actions = [r["action"] for r in records]
    for expected in ("account_add", "account_disable", "account_reset", "sign_in"):
        assert expected in actions


def test_command_line_user_scope(app_db):
    import cli

    runner = CliRunner()
    url = str(app_db.url)
    scoped = runner.invoke(cli.app, ["alerts", "--json", "--user", "yizhen_staff", "--url", url])
    assert scoped.exit_code == 0
    assert all(json.loads(l)["code"] in ("100100001", "100100") for l in scoped.output.splitlines())
    unknown = runner.invoke(cli.app, ["alerts", "--user", "nobody", "--url", url])
    assert unknown.exit_code == 2 and "nobody" in unknown.output
