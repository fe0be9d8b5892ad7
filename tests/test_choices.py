"""The native drop-downs (ui.choices): a choice made in the browser is taken once, only for the
group's own fields and only among their options."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.signin import choice, choose
from ui.apptest import app_test

SCRIPT = '''
import streamlit as st
from ui.choices import Choice, choices

got = choices(st, "g", [
    Choice("colour", "颜色", ["red", "green"], {"red": "红", "green": "绿"}.get),
    Choice("size", "大小", ["s", "m", "l"], default="m", radio=True),
    Choice("count", "件数", (), number=(1, 50, 1), default="10"),
    Choice("share", "比例", (), number=(0.0, 0.5, 0.05), default="0.1"),
], columns=2)
st.text(f"{got['colour']} {got['size']} {int(got['count'])} {float(got['share'])}")
if st.button("重置", key="reset"):
    st.session_state["colour"] = "red"
    st.rerun()
'''


def _app(tmp_path) -> AppTest:
    script = tmp_path / "page.py"
    script.write_text(SCRIPT, encoding="utf-8")
    return app_test(str(script), timeout=60).run()


def shown(at: AppTest) -> str:
    return at.text[0].value


def test_defaults_then_a_choice_taken(tmp_path):
    at = _app(tmp_path)
    assert shown(at) == "red m 10 0.1"  # the first option, or the field's default
    assert choice(at, "colour")["options"] == [["red", "红"], ["green", "绿"]]
    assert choice(at, "size")["radio"] is True
    choose(at, "colour", "green")
    assert shown(at) == "green m 10 0.1" and choice(at, "colour")["value"] == "green"


def test_a_change_is_taken_once(tmp_path):
    """After the page itself sets the value again (a button, a link), the browser's earlier
    change, still in the group's state, does not come back."""
    at = _app(tmp_path)
    choose(at, "colour", "green")
    at.button(key="reset").click().run()
    assert shown(at) == "red m 10 0.1"
    at.run()
    assert shown(at) == "red m 10 0.1"


def test_what_the_browser_sends_is_not_trusted(tmp_path):
    at = _app(tmp_path)
    at.session_state["g"] = {"chosen": {"n": "1", "values": {"colour": "<b>purple</b>",
                                                             "reset": True, "other": "x"}}}
    at.run()
    assert not at.exception
    assert shown(at) == "red m 10 0.1"  # not an option: the default again
    assert "other" not in at.session_state
    at.session_state["g"] = {"chosen": ["not", "a", "change"]}
    at.run()
    assert not at.exception and shown(at) == "red m 10 0.1"


def test_number_boxes_keep_to_their_range_and_steps(tmp_path):
    at = _app(tmp_path)
    for typed, count in (("7", 7), ("999", 50), ("-3", 1), ("2.6", 3), ("abc", 10), ("nan", 10),
                         ("inf", 50), ("1e400", 50)):
        choose(at, "count", typed)
        assert not at.exception, (typed, at.exception)
        assert shown(at) == f"red m {count} 0.1", typed
    choose(at, "share", "0.25")
    assert shown(at).endswith(" 0.25")
    choose(at, "share", "9")
    assert shown(at).endswith(" 0.5")
