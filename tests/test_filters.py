"""The Filters object: months, clipping, the year-earlier twin, SQL and caption."""
from datetime import date

import pytest

from queries.filters import add_months, default_filters, parse_month
from tests.scoping import all_months
from queries.scope import EVERYTHING


def test_for_months_clips_to_as_of():
    f = all_months("2025-01", "2025-03", date(2025, 3, 15))
    assert (f.start, f.end) == (date(2025, 1, 1), date(2025, 3, 15))
    assert f.caption() == "2025年1月至2025年3月（截至3月15日） · 全辖区"


def test_year_earlier_shifts_everything():
    f = all_months("2024-02", "2024-02", date(2024, 3, 31), county="100100")
    earlier = f.year_earlier()
    assert (earlier.start, earlier.end, earlier.as_of) == (
        date(2023, 2, 1), date(2023, 2, 28), date(2023, 3, 31))
    assert earlier.county == "100100"


@pytest.mark.parametrize("bad", ["2025-13", "2025/01", "abc", "", "0000-01"])
def test_bad_months_say_so_in_chinese(bad):
    with pytest.raises(ValueError, match="格式不对"):
        parse_month(bad)


def test_reversed_period_rejected():
    with pytest.raises(ValueError, match="晚于"):
        all_months("2025-05", "2025-01", date(2025, 6, 1))


def test_where_uses_named_parameters_only():
    f = all_months("2025-01", "2025-03", date(2025, 3, 31), county="1'; DROP TABLE cases;--",
                           category="城乡建设")
    clause, params = f.where("c")
    assert "DROP" not in clause and ":f_county" in clause and ":f_category" in clause
    assert params["f_county"].startswith("1'")


def test_caption_names_place_and_category():
    f = all_months("2025-06", "2025-06", date(2025, 12, 31), county="100100",
                           township="100100001", category="政法")
    names = {"100100": "甲县", "100100001": "一镇"}
    assert f.caption(names) == "2025年6月 · 甲县一镇 · 政法类"


def test_default_and_month_arithmetic():
    f = default_filters(date(2025, 3, 10), EVERYTHING)
    assert (f.start, f.end) == (date(2024, 4, 1), date(2025, 3, 10))
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert hash(f) == hash(default_filters(date(2025, 3, 10), EVERYTHING))
