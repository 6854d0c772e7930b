"""The CronJob spec operations every adapter writes the same way (a mixin over `_edit_cronjob`).

An edit of a CronJob is one read-change-write of its spec. What changes does not depend on the target, so
the simulator adapter and the Kubernetes adapter share these; each provides `_edit_cronjob` (how it reads
and writes, and what it waits for) and its own create, delete and views.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubeprops.scenario import batch

Obj = dict[str, Any]


class CronJobEdits:
    # provided by the adapter: change the spec of a named CronJob and write it back (no-op when it is gone)
    _edit_cronjob: Callable[[str, Callable[[Obj], None]], None]

    def _suspend_cronjob(self, op: batch.SetSuspend) -> None:
        self._edit_cronjob(op.name, lambda spec: spec.update(suspend=op.suspend))

    def _apply_SetSchedule(self, op: batch.SetSchedule) -> None:
        def change(spec: Obj) -> None:
            spec["schedule"] = op.schedule
            spec.pop("timeZone", None)
            if op.time_zone is not None:
                spec["timeZone"] = op.time_zone

        self._edit_cronjob(op.name, change)

    def _apply_SetConcurrencyPolicy(self, op: batch.SetConcurrencyPolicy) -> None:
        self._edit_cronjob(op.name, lambda spec: spec.update(concurrencyPolicy=op.policy))

    def _apply_SetStartingDeadline(self, op: batch.SetStartingDeadline) -> None:
        def change(spec: Obj) -> None:
            spec.pop("startingDeadlineSeconds", None)
            if op.seconds is not None:
                spec["startingDeadlineSeconds"] = op.seconds

        self._edit_cronjob(op.name, change)

    def _apply_SetHistoryLimits(self, op: batch.SetHistoryLimits) -> None:
        limits = {"successfulJobsHistoryLimit": op.successful, "failedJobsHistoryLimit": op.failed}
        self._edit_cronjob(op.name, lambda spec: spec.update(limits))
