"""How long the CronJob machine's time steps last on a real clock (properties/cron_clock.py)."""

import pytest

from kubeprops.properties.cron_clock import COMPARE_WINDOW, STEP_WINDOW, into_window, real_step

MINUTE = 29_929_618 * 60  # a whole minute of Unix time (2026-11-27 10:58 UTC)


@pytest.mark.parametrize(
    ("second", "wait"), [(5, 0), (45, 0), (20.5, 0), (45.5, 20), (59.2, 6), (0, 5), (4.9, 1)]
)
def test_into_window_reaches_the_next_allowed_second(second, wait):
    assert into_window(MINUTE + second, STEP_WINDOW) == wait


def test_the_compare_window_keeps_two_seconds_off_whole_minutes():
    assert [into_window(MINUTE + s, COMPARE_WINDOW) for s in (2, 3, 57, 58)] == [1, 0, 0, 5]


def test_a_step_that_would_cross_the_next_slot_within_a_minute_waits_for_it():
    # every minute: a step of 60 s or more at second 20 ends 5 s after the next whole minute
    assert real_step("* * * * *", None, MINUTE + 20, 60) == 45
    assert real_step("* * * * *", None, MINUTE + 20, 86_400) == 45
    # */5 at 10:59:20: the slot 11:00 is 40 s away, a step of 30 s does not reach it
    assert real_step("*/5 * * * *", None, MINUTE + 60 + 20, 600) == 45
    assert real_step("*/5 * * * *", None, MINUTE + 60 + 20, 30) == 3
    # at 11:00:20 the next slot (11:05) is out of reach: the step lasts 3 s
    assert real_step("*/5 * * * *", None, MINUTE + 2 * 60 + 20, 600) == 3


def test_a_short_step_is_capped_and_ends_inside_the_window():
    assert real_step("*/5 * * * *", None, MINUTE + 10, 1) == 1
    assert real_step("*/5 * * * *", None, MINUTE + 44, 20) == 21  # 3 s to 47, then on to second 5
    assert real_step(None, None, MINUTE + 10, 3600) == 3  # no CronJob (yet)


def test_a_schedule_in_a_time_zone_fires_on_its_zones_minutes():
    # Asia/Kolkata is UTC+5:30: "30 */6" there is 1:00, 7:00, 13:00, 19:00 UTC
    thirteen = MINUTE + 2 * 60 + 2 * 3600  # 13:00 UTC
    assert real_step("30 */6 * * *", "Asia/Kolkata", thirteen - 30, 600) == 35
    assert real_step("30 */6 * * *", None, thirteen - 30, 600) == 3  # in UTC the slot is 12:30
