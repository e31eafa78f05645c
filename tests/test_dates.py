"""Russian dates, plurals and the plan's date forms."""

from datetime import date, datetime, time

import pytest

from mo_app.dates import PlanDate, local_datetime, local_time, long_date, nplural


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "0 мест"), (1, "1 место"), (2, "2 места"), (4, "4 места"), (5, "5 мест"), (11, "11 мест"),
     (21, "21 место"), (22, "22 места"), (25, "25 мест"), (101, "101 место"), (111, "111 мест")],
)
def test_plurals(n, text):
    assert nplural(n, "место", "места", "мест") == text


def test_plan_date_forms():
    assert PlanDate.whole_year(2015).text() == "в течение года"
    assert PlanDate.month(2015, 9).text() == "сентябрь 2015"
    assert PlanDate.span(2015, 10, 2016, 3).text() == "октябрь 2015 – март 2016"
    assert PlanDate("day", date(2026, 11, 26)).text() == "26 ноября 2026 г."
    assert PlanDate("datetime", date(2026, 12, 3), at=time(15, 0)).text() == "3 декабря 2026 г., 15:00"
    assert PlanDate().text() == "дата уточняется"
    assert PlanDate.month(2015, 9).capitalized() == "Сентябрь 2015"


def test_plan_date_shift_and_last_day():
    assert PlanDate.span(2015, 10, 2016, 3).shifted(11) == PlanDate.span(2026, 10, 2027, 3)
    assert PlanDate.month(2027, 2).last_day == date(2027, 2, 28)
    assert PlanDate("day", date(2016, 2, 29)).shifted(1).start == date(2017, 2, 28)


def test_timestamps_are_shown_in_moscow_time():
    stored = datetime(2026, 11, 26, 11, 32)  # naive UTC
    assert local_time(stored) == "14:32"
    assert local_datetime(stored) == "26 ноября 2026 г., 14:32"
    assert long_date(date(2026, 11, 26)) == "26 ноября 2026 г."
