"""robfig/cron ParseStandard and Next, as `cron_schedule` models them (fact sheet 6.2)."""

import re

import pytest
from croniter import croniter

from kubeprops.reference_model import cron_schedule as cron

JAN1 = 1704067200  # 2024-01-01T00:00:00Z, a Monday


def nexts(spec, start, n=3, time_zone=None):
    schedule = cron.parse(spec, time_zone)
    out, t = [], start
    for _ in range(n):
        t = cron.next_time(schedule, t)
        out.append(t)
    return out


@pytest.mark.parametrize(
    "spec",
    [
        "*/15 * * * *",
        "0 0 ? * *",
        "? ? ? ? ?",
        "0 9 * * MON-FRI",
        "0 0 1 jan,Jul *",
        "5/20 1-5/2 * * *",
        "0 0 31 2 *",  # parses; never fires
        "@hourly",
        "@daily",
        "@midnight",
        "@weekly",
        "@monthly",
        "@yearly",
        "@annually",
        "@every 90s",
        "@every 1h30m",
    ],
)
def test_accepted(spec):
    cron.parse(spec)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "empty spec string"),
        ("* * * *", "expected exactly 5 fields, found 4"),
        ("0 * * * * *", "expected exactly 5 fields, found 6"),
        ("60 * * * *", "end of range (60) above maximum (59): 60"),
        ("0 0 * * 7", "end of range (7) above maximum (6): 7"),
        ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
        ("0 0 L * *", "failed to parse int from L"),
        ("0 0 * * 1#2", "failed to parse int from 1#2"),
        ("*/0 * * * *", "step of range should be a positive number: */0"),
        ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
        ("@reboot", "unrecognized descriptor: @reboot"),
        ("@every soon", "failed to parse duration soon"),
        ("TZ=Mars/Olympus 0 * * * *", "provided bad location Mars/Olympus"),
    ],
)
def test_rejected_with_robfigs_message(spec, message):
    with pytest.raises(cron.ScheduleError, match=re.escape(message)):
        cron.parse(spec)


def test_croniter_alone_would_accept_what_robfig_rejects():
    # the reason for the grammar pass: croniter's language is a superset
    for spec in ("0 0 * * 7", "5-1 * * * *", "0 0 L * *", "0 * * * * *"):
        croniter.expand(spec)


def test_every_fifteen_minutes():
    assert [t - JAN1 for t in nexts("*/15 * * * *", JAN1)] == [900, 1800, 2700]


def test_n_slash_step_means_n_to_max():
    assert cron.parse("50/5 * * * *").fields[cron.MINUTE].values == {50, 55}


def test_dom_and_dow_or_when_both_restricted():
    # the 1st of the month OR any Friday: Mon 1 Jan 2024, then Fridays 5, 12, 19
    days = [(t - JAN1) // 86400 + 1 for t in nexts("0 0 1 * FRI", JAN1 - 1, 4)]
    assert days == [1, 5, 12, 19]


def test_dom_and_dow_and_when_one_is_a_star():
    days = [(t - JAN1) // 86400 + 1 for t in nexts("0 0 * * FRI", JAN1 - 1, 2)]
    assert days == [5, 12]
    # robfig's star bit: '*/1' keeps it, '*/2' drops it (and with it the AND rule)
    assert cron.parse("0 0 */2 * *").fields[cron.DOM].star is False
    assert cron.parse("0 0 */1 * *").fields[cron.DOM].star is True


def test_every_is_relative_to_the_previous_time():
    assert nexts("@every 90s", JAN1 + 0.5, 2) == [JAN1 + 90, JAN1 + 180]


def test_time_zone_shifts_the_slot_with_summer_time():
    # 09:00 Paris is 08:00Z in January and 07:00Z in July
    winter = nexts("0 9 * * *", JAN1, 1, "Europe/Paris")[0]
    assert winter - JAN1 == 8 * 3600
    july1 = 1719792000  # 2024-07-01T00:00Z
    assert nexts("0 9 * * *", july1, 1, "Europe/Paris")[0] - july1 == 7 * 3600


def test_tz_prefix_equals_time_zone_argument():
    assert nexts("TZ=Asia/Tokyo 0 0 * * *", JAN1, 2) == nexts("0 0 * * *", JAN1, 2, "Asia/Tokyo")


def test_spring_forward_gap_skips_the_slot():
    # America/New_York, 2024-03-10: 02:00-03:00 does not exist; robfig skips 02:30 that day
    mar9 = 1710000000  # 2024-03-09T16:00Z
    times = nexts("30 2 * * *", mar9, 2, "America/New_York")
    assert [cron.civil(t, "America/New_York").day for t in times] == [11, 12]


def test_fall_back_overlap_fires_twice():
    # 2024-11-03: 01:30 EDT and 01:30 EST are both slots for robfig (hours step on the absolute clock)
    nov2 = 1730600000  # 2024-11-02T22:13Z
    times = nexts("30 1 * * *", nov2, 3, "America/New_York")
    assert times[1] - times[0] == 3600
    assert [cron.civil(t, "America/New_York").day for t in times] == [3, 3, 4]


def test_impossible_date_never_fires():
    assert cron.next_time(cron.parse("0 0 31 2 *"), JAN1) is None


def test_controller_schedule_prefix():
    assert cron.controller_schedule("0 * * * *", "Europe/Paris") == "TZ=Europe/Paris 0 * * * *"
    assert cron.controller_schedule("0 * * * *", None) == "0 * * * *"


def test_single_values_survive_the_croniter_expansion():
    # croniter 7.0 reads "30-30/1" as "*": the canonical form must not produce it
    assert croniter.expand("30-30/1 * * * *")[0][0] == ["*"]
    assert cron.parse("30 2 * * *").fields[cron.MINUTE].values == {30}
    assert cron.parse("30-30 2/30 * * *").fields[cron.HOUR].values == {2}
