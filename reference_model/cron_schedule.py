"""CronJob schedules as upstream parses and evaluates them: robfig/cron v3 `ParseStandard` and `Next`.

Library choice: croniter (pallets-eco) expands the fields; the grammar check and `Next` follow robfig.
Compared on what robfig's ParseStandard accepts (fact sheet 6.2):

| input                         | robfig | croniter 7.0 | cronsim 2.8 |
|-------------------------------|--------|--------------|-------------|
| `@hourly`, `@daily`, ...      | yes    | yes          | no          |
| `@every 90s`                  | yes    | no           | no          |
| `?` in a field                | yes    | yes          | no          |
| `0 0 31 2 *` (never fires)    | yes    | yes          | no          |
| `7` as Sunday, `5-1`, `L`/`W`/`#`/`H`, 6 or 7 fields | no | yes | some |

croniter accepts a superset of robfig's language (a grammar pass here rejects the extras with robfig's
messages and hands croniter a canonical `a`, `a-b` or `a-b/s` per part: croniter 7.0 expands a one-value
range with a step, `30-30/1`, to the whole field), while cronsim rejects valid CronJob schedules (`?`,
macros, `31 2`). Neither follows robfig's
daylight-saving behaviour (robfig steps hours on the absolute clock, so a slot inside a spring-forward gap is
skipped and one inside a fall-back overlap fires twice), so `next_time` is robfig's `SpecSchedule.Next`
on epoch seconds, with the zone offsets from `kubeprops.scenario.batch.zone_offset`.

Not modelled: the controller-manager's local zone (a schedule without timeZone is evaluated in UTC here);
sub-second times (robfig works in whole seconds; inputs are floored).

refs github.com/robfig/cron/v3 parser.go (Parse, ParseStandard, getRange, parseDescriptor, normalizeFields),
spec.go (SpecSchedule.Next, dayMatches), constantdelay.go (Every, ConstantDelaySchedule.Next);
kubernetes/kubernetes:pkg/controller/cronjob/cronjob_controllerv2.go (formatSchedule)
"""

from __future__ import annotations

import functools
import re

import attrs
from croniter import croniter

from kubeprops.scenario.batch import zone_exists, zone_offset

MINUTE, HOUR, DOM, MONTH, DOW = range(5)
_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_NAMES: tuple[dict[str, int], ...] = (
    {},
    {},
    {},
    {m: i + 1 for i, m in enumerate(_MONTHS)},
    {d: i for i, d in enumerate(_DAYS)},
)
_DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_INT = re.compile(r"^[+-]?[0-9]+$")
_DURATION_PART = re.compile(r"([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
YEAR_LIMIT = 5  # ref spec.go (Next): give up five years out


class ScheduleError(ValueError):
    """robfig's parse error; the message is robfig's."""


@attrs.frozen
class Field:
    values: frozenset[int]
    star: bool  # robfig's starBit: the field was `*` or `?` (with step 1)


@attrs.frozen
class Schedule:
    """A parsed schedule: five fields, or `every` seconds for `@every`; evaluated in `time_zone`."""

    fields: tuple[Field, ...] = ()
    every: int | None = None
    time_zone: str | None = None


# ---------------------------------------------------------------- parsing


def _int(text: str) -> int:
    # ref parser.go (mustParseInt): strconv.Atoi, negatives rejected
    if not _INT.match(text):
        raise ScheduleError(
            f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": invalid syntax'
        )
    value = int(text)
    if value < 0:
        raise ScheduleError(f"negative number ({value}) not allowed: {text}")
    return value


def _int_or_name(text: str, field: int) -> int:
    # ref parser.go (parseIntOrName)
    named = _NAMES[field].get(text.lower())
    return named if named is not None else _int(text)


def _range(expr: str, field: int) -> tuple[str, bool]:
    """One comma part: robfig's checks, then the canonical `start-end/step` croniter expands."""
    # ref parser.go (getRange)
    low, high = _BOUNDS[field]
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    star = low_and_high[0] in ("*", "?")
    if star:
        start, end = low, high
    else:
        start = _int_or_name(low_and_high[0], field)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _int_or_name(low_and_high[1], field)
        else:
            raise ScheduleError(f"too many hyphens: {expr}")
    step = 1
    if len(range_and_step) == 2:
        step = _int(range_and_step[1])
        if len(low_and_high) == 1:  # "N/step" means "N-max/step"
            end = high
        star = star and step <= 1
    elif len(range_and_step) > 2:
        raise ScheduleError(f"too many slashes: {expr}")
    if start < low:
        raise ScheduleError(f"beginning of range ({start}) below minimum ({low}): {expr}")
    if end > high:
        raise ScheduleError(f"end of range ({end}) above maximum ({high}): {expr}")
    if start > end:
        raise ScheduleError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise ScheduleError(f"step of range should be a positive number: {expr}")
    if start == end:
        return str(start), star
    return (f"{start}-{end}" if step == 1 else f"{start}-{end}/{step}"), star


def _expand(canonical: list[str]) -> tuple[frozenset[int], ...]:
    """croniter's expansion of five canonical fields ('*' stands for the whole range)."""
    expanded, _ = croniter.expand(" ".join(canonical))
    out = []
    for field, values in enumerate(expanded):
        low, high = _BOUNDS[field]
        full = values == ["*"]
        out.append(frozenset(range(low, high + 1)) if full else frozenset(int(v) for v in values))
    return tuple(out)


def _duration(text: str) -> int:
    """Go's time.ParseDuration, for @every; robfig rounds down to whole seconds, minimum 1 s."""
    # ref constantdelay.go (Every)
    body = text.lstrip("+")
    parts = _DURATION_PART.findall(body)
    if not body or "".join(n + u for n, u in parts) != body:
        raise ScheduleError(f'failed to parse duration {text}: time: invalid duration "{text}"')
    seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)
    return max(1, int(seconds))


@functools.lru_cache(maxsize=256)
def parse(spec: str, time_zone: str | None = None) -> Schedule:
    """robfig ParseStandard of `spec`, in `time_zone` (a `TZ=`/`CRON_TZ=` prefix overrides it)."""
    # ref parser.go (Parse)
    if not spec:
        raise ScheduleError("empty spec string")
    if spec.startswith(("TZ=", "CRON_TZ=")):
        space = spec.find(" ")
        time_zone = spec[spec.index("=") + 1 : space if space >= 0 else len(spec)]
        spec = spec[space:].strip() if space >= 0 else ""
        if not zone_exists(time_zone):
            raise ScheduleError(f"provided bad location {time_zone}: unknown time zone {time_zone}")
    if spec.startswith("@"):
        return _descriptor(spec, time_zone)
    fields = spec.split()
    if len(fields) != 5:
        raise ScheduleError(f"expected exactly 5 fields, found {len(fields)}: {fields}")
    canonical, stars = [], []
    for index, text in enumerate(fields):
        parts = [_range(part, index) for part in text.split(",")]
        canonical.append(",".join(p for p, _ in parts))
        stars.append(any(star for _, star in parts))
    values = _expand(canonical)
    return Schedule(tuple(Field(v, s) for v, s in zip(values, stars, strict=True)), None, time_zone)


def _descriptor(spec: str, time_zone: str | None) -> Schedule:
    # ref parser.go (parseDescriptor)
    if spec in _DESCRIPTORS:
        return parse(_DESCRIPTORS[spec], time_zone)
    if spec.startswith("@every "):
        return Schedule((), _duration(spec[len("@every ") :]), time_zone)
    raise ScheduleError(f"unrecognized descriptor: {spec}")


def controller_schedule(schedule: str, time_zone: str | None) -> str:
    """The string the controller parses: `TZ=<zone> <schedule>` when spec.timeZone is set."""
    # ref cronjob_controllerv2.go (formatSchedule): a schedule already holding TZ is used as is
    if "TZ" in schedule or time_zone is None:
        return schedule
    return f"TZ={time_zone} {schedule}"


# ---------------------------------------------------------------- civil time (proleptic Gregorian)


def _days_from_civil(y: int, m: int, d: int) -> int:
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def _civil_from_days(z: int) -> tuple[int, int, int]:
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (m <= 2), m, d


@attrs.frozen
class Civil:
    year: int
    month: int
    day: int
    hour: int
    minute: int
    second: int
    weekday: int  # 0 = Sunday


def civil(t: int, time_zone: str | None) -> Civil:
    """The wall-clock fields of instant `t` in `time_zone`."""
    local = t + zone_offset(time_zone, t)
    days, secs = divmod(local, 86400)
    y, m, d = _civil_from_days(days)
    return Civil(y, m, d, secs // 3600, secs % 3600 // 60, secs % 60, (days + 4) % 7)


def go_date(y: int, mo: int, d: int, h: int, mi: int, s: int, time_zone: str | None) -> int:
    """Go's time.Date: normalises out-of-range fields, and resolves a wall time inside a gap or an
    overlap the way Go does (offset looked up at the wall time read as UTC, corrected once)."""
    # ref go/src/time/time.go (Date)
    y += (mo - 1) // 12
    mo = (mo - 1) % 12 + 1
    unix = (_days_from_civil(y, mo, 1) + d - 1) * 86400 + h * 3600 + mi * 60 + s
    offset = zone_offset(time_zone, unix)
    if offset:
        corrected = zone_offset(time_zone, unix - offset)
        offset = corrected if corrected != offset else offset
    return unix - offset


# ---------------------------------------------------------------- Next


def _day_matches(schedule: Schedule, c: Civil) -> bool:
    # ref spec.go (dayMatches): AND when either day field is a star, else OR
    dom, dow = schedule.fields[DOM], schedule.fields[DOW]
    dom_match, dow_match = c.day in dom.values, c.weekday in dow.values
    if dom.star or dow.star:
        return dom_match and dow_match
    return dom_match or dow_match


def next_time(schedule: Schedule, t: float) -> int | None:
    """The first activation strictly after `t` (robfig Next); None when there is none within 5 years."""
    if schedule.every is not None:
        return int(t // 1) + schedule.every  # ref constantdelay.go (Next)
    return _spec_next(schedule, int(t // 1) + 1)


@functools.lru_cache(maxsize=4096)
def _spec_next(s: Schedule, t: int) -> int | None:
    # ref spec.go (SpecSchedule.Next); each `continue` is robfig's `goto WRAP`
    tz = s.time_zone
    added = False
    year_limit = civil(t, tz).year + YEAR_LIMIT
    while True:
        c = civil(t, tz)
        if c.year > year_limit:
            return None
        if c.month not in s.fields[MONTH].values:
            if not added:
                added, t = True, go_date(c.year, c.month, 1, 0, 0, 0, tz)
            c = civil(t, tz)
            t = go_date(c.year, c.month + 1, c.day, c.hour, c.minute, c.second, tz)
            continue  # robfig loops months in place; re-checking from the top is equivalent
        if not _day_matches(s, c):
            if not added:
                added, t = True, go_date(c.year, c.month, c.day, 0, 0, 0, tz)
            c = civil(t, tz)
            t = go_date(c.year, c.month, c.day + 1, c.hour, c.minute, c.second, tz)
            hour = civil(t, tz).hour
            if hour:  # DST moved midnight: back to it
                t += (24 - hour) * 3600 if hour > 12 else -hour * 3600
            continue
        if c.hour not in s.fields[HOUR].values:
            if not added:
                added, t = True, go_date(c.year, c.month, c.day, c.hour, 0, 0, tz)
            t += 3600
            continue
        if c.minute not in s.fields[MINUTE].values:
            if not added:
                added, t = True, t - t % 60
            t += 60
            continue
        if c.second != 0:  # ParseStandard fixes seconds to 0: robfig's one-second steps up to the wrap
            added, t = True, t + 60 - c.second
            continue
        return t
