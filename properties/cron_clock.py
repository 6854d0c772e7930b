"""How long the CronJob machine's time steps last on a real clock (targets without VIRTUAL_CLOCK).

A real CronJob controller fires on wall-clock minutes, a fraction of a second after the slot (its sync
requeues at the next schedule time + 100 ms, cronjob_controllerv2.go nextScheduleTimeDuration), and a
child's finish reaches the CronJob's status about a second after the pod's (the Job controller batches pod
events for 1 s, SyncJobBatchPeriod; the model follows it, informer delays add to it). So on a real clock
the machine only acts and compares at moments several seconds away from every whole minute
(`STEP_WINDOW`), and a drawn step of time that would cross the CronJob's next slot waits for that slot
(+`SLOT_LAG`) if it comes within a minute; any other step waits REAL_CLOCK_MAX_ADVANCE seconds, since
between slots the controller has nothing to do. A step never waits more than about 65 s, and a day-long
jump crosses at most one slot: what is checked on a real cluster is the slot that comes next, never
missed-slot bookkeeping over days.
"""

from __future__ import annotations

import math

from kubeprops.reference_model import cron_schedule as cron

from .machine import REAL_CLOCK_MAX_ADVANCE

STEP_WINDOW = (5, 45)  # seconds of a minute in which a step may start on a real clock
COMPARE_WINDOW = (3, 57)  # ... and in which the machine compares (2 s away from every whole minute)
SLOT_LAG = 5  # seconds after a slot a step that crossed it ends
MAX_SLOT_WAIT = 60  # a step crosses the next slot only if it comes within this many seconds


def into_window(t: float, window: tuple[int, int]) -> int:
    """Whole seconds from Unix time `t` to the next moment whose second of the minute is in `window`
    (0 if `t` is in it)."""
    lo, hi = window
    second = t % 60
    if lo <= second <= hi:
        return 0
    return math.ceil((lo - second) % 60)


def real_step(schedule: str | None, time_zone: str | None, t: float, seconds: int) -> int:
    """How long a drawn step of `seconds` waits at Unix time `t` on a real clock, for a CronJob with
    `schedule` in `time_zone` (None: no CronJob): see the module docstring."""
    wait = min(seconds, REAL_CLOCK_MAX_ADVANCE)
    slot = None
    if schedule is not None:
        try:
            slot = cron.next_time(cron.parse(schedule, time_zone), t)
        except cron.ScheduleError:
            slot = None
    if slot is not None and slot - t <= min(seconds, MAX_SLOT_WAIT):
        wait = math.ceil(slot + SLOT_LAG - t)
    return wait + into_window(t + wait, STEP_WINDOW)
