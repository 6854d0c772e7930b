"""The simulator's cron schedules: robfig/cron v3 `ParseStandard` and `Next`, as the CronJob controller uses
them (the simulator's own code; the reference model has its own).

croniter expands the fields once a part has passed robfig's grammar checks (ranges, steps, month and day
names, `?`); `Next` is robfig's loop over wall-clock fields. Macros (`@hourly`...) expand to their five
fields; `@every <duration>` is a constant delay rounded down to whole seconds.

Not modelled: robfig's daylight-saving corner cases (a slot inside a spring-forward gap, twice inside a
fall-back overlap): wall time here is converted with zoneinfo's first reading. Generated scenarios stay in
the months after SIM_EPOCH (January), away from any transition of the zones they use.
refs github.com/robfig/cron/v3 parser.go (ParseStandard, getRange, parseDescriptor), spec.go
(SpecSchedule.Next, dayMatches), constantdelay.go (Every); kubernetes/kubernetes v1.35.4
pkg/controller/cronjob/cronjob_controllerv2.go (formatSchedule)
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from datetime import UTC, datetime, timedelta

import attrs
from croniter import croniter

BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))  # minute hour dom month dow
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
NAMES = (
    {},
    {},
    {},
    {m: i + 1 for i, m in enumerate(_MONTHS)},
    {d: i for i, d in enumerate(_DAYS)},
)
MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_DURATION = re.compile(r"([0-9]*\.?[0-9]+)(h|ms|m|s)")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
YEARS_AHEAD = 5  # robfig gives up five years out and returns the zero time


class BadSchedule(ValueError):
    pass


@attrs.frozen
class CronSchedule:
    minutes: frozenset[int] = frozenset()
    hours: frozenset[int] = frozenset()
    days: frozenset[int] = frozenset()
    months: frozenset[int] = frozenset()
    weekdays: frozenset[int] = frozenset()
    dom_star: bool = False
    dow_star: bool = False
    every: int | None = None  # @every, in seconds
    zone: str | None = None


def _number(text: str, field: int) -> int:
    named = NAMES[field].get(text.lower())
    if named is not None:
        return named
    if not text.isdigit():
        raise BadSchedule(f"failed to parse int from {text}")
    return int(text)


def _part(text: str, field: int) -> tuple[str, bool]:
    """One comma-separated part: robfig's checks; returns croniter's canonical form and the star bit."""
    # ref parser.go (getRange)
    low, high = BOUNDS[field]
    range_text, _, step_text = text.partition("/")
    if step_text and "/" in step_text:
        raise BadSchedule(f"too many slashes: {text}")
    ends = range_text.split("-")
    star = ends[0] in ("*", "?")
    if star:
        start, end = low, high
    elif len(ends) > 2:
        raise BadSchedule(f"too many hyphens: {text}")
    else:
        start = _number(ends[0], field)
        end = _number(ends[1], field) if len(ends) == 2 else start
    step = _number(step_text, 0) if step_text else 1
    if step_text and len(ends) == 1 and not star:
        end = high  # "N/step" means "N-max/step"
    if start < low or end > high or start > end or step == 0:
        raise BadSchedule(f"bad range {text} for [{low}, {high}]")
    body = str(start) if start == end else f"{start}-{end}"
    return (body if step == 1 else f"{body}/{step}"), star and step == 1


def _every(text: str) -> int:
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise BadSchedule(f"failed to parse duration {text}")
    return max(1, int(sum(float(n) * _UNITS[u] for n, u in parts)))


@functools.lru_cache(maxsize=512)
def parse(spec: str, zone: str | None = None) -> CronSchedule:
    """ParseStandard; a `TZ=`/`CRON_TZ=` prefix sets the zone, as formatSchedule's `TZ=<timeZone>` does."""
    if spec.startswith(("TZ=", "CRON_TZ=")):
        head, _, spec = spec.partition(" ")
        zone = head.split("=", 1)[1]
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise BadSchedule(f"provided bad location {zone}") from None
    spec = spec.strip()
    if spec.startswith("@every "):
        return CronSchedule(every=_every(spec[len("@every ") :]), zone=zone)
    spec = MACROS.get(spec, spec)
    fields = spec.split()
    if len(fields) != 5:
        raise BadSchedule(f"expected exactly 5 fields, found {len(fields)}: {spec}")
    canonical, stars = [], []
    for index, text in enumerate(fields):
        parts = [_part(p, index) for p in text.split(",")]
        canonical.append(",".join(p for p, _ in parts))
        stars.append(any(s for _, s in parts))
    expanded, _ = croniter.expand(" ".join(canonical))
    sets = [
        frozenset(range(BOUNDS[i][0], BOUNDS[i][1] + 1)) if values == ["*"] else frozenset(map(int, values))
        for i, values in enumerate(expanded)
    ]
    return CronSchedule(*sets, dom_star=stars[2], dow_star=stars[4], zone=zone)


def _day_matches(s: CronSchedule, t: datetime) -> bool:
    # ref spec.go (dayMatches): both day fields restricted -> either matches; else both must
    dom, dow = t.day in s.days, (t.isoweekday() % 7) in s.weekdays
    return dom and dow if s.dom_star or s.dow_star else dom or dow


def _next_month(t: datetime) -> datetime:
    return t.replace(year=t.year + (t.month == 12), month=t.month % 12 + 1)


@functools.lru_cache(maxsize=4096)
def next_after(s: CronSchedule, unix: float) -> float | None:
    """robfig `Next`: the first activation strictly after `unix` (Unix seconds), None within five years."""
    if s.every is not None:
        return float(int(unix // 1) + s.every)  # ref constantdelay.go (Next)
    tz = zoneinfo.ZoneInfo(s.zone) if s.zone else UTC
    t = datetime.fromtimestamp(int(unix // 1) + 1, tz).replace(tzinfo=None)
    limit, reset = t.year + YEARS_AHEAD, False
    while t.year <= limit:
        if t.month not in s.months:
            t = _next_month(t if reset else t.replace(day=1, hour=0, minute=0, second=0))
        elif not _day_matches(s, t):
            t = (t if reset else t.replace(hour=0, minute=0, second=0)) + timedelta(days=1)
        elif t.hour not in s.hours:
            t = (t if reset else t.replace(minute=0, second=0)) + timedelta(hours=1)
        elif t.minute not in s.minutes:
            t = (t if reset else t.replace(second=0)) + timedelta(minutes=1)
        elif t.second != 0:
            t = t.replace(second=0) + timedelta(minutes=1)
        else:
            return t.replace(tzinfo=tz).timestamp()
        reset = True  # robfig truncates the lower fields only the first time a field moves
    return None
