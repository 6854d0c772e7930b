"""The StatefulSet / DaemonSet reference model in one place: one function per question a property asks.

* what does one controller sync decide? `statefulset_sync`, `daemonset_sync` (PER-SYNC; judge a target's
  sync with `check_statefulset_sync` / `check_daemonset_sync`);
* what must a scenario settle to? `settled_outcomes` (QUIESCENT: every allowed outcome, stalls included);
* does an observed state break an always-true rule? `check_always`, `check_transition` (ALWAYS).

Release: upstream v1.35.4 by default (`release.DEFAULT`); pass `release=` for another release, or one with
the MaxUnavailableStatefulSet gate turned on (off by default in every supported release).
"""

from __future__ import annotations

from .apps_invariants import (
    RULES,
    check_always,
    check_daemonset_quiescent,
    check_daemonset_sync,
    check_statefulset_sync,
    check_transition,
)
from .apps_quiescent import DidNotSettle, outcome, run, settled_outcomes
from .apps_validation import (
    validate_daemonset,
    validate_daemonset_update,
    validate_statefulset,
    validate_statefulset_update,
)
from .daemonset_sync import sync as daemonset_sync
from .node_eligibility import node_should_run_daemon_pod
from .statefulset_sync import sync as statefulset_sync

__all__ = [
    "RULES",
    "DidNotSettle",
    "check_always",
    "check_daemonset_quiescent",
    "check_daemonset_sync",
    "check_statefulset_sync",
    "check_transition",
    "daemonset_sync",
    "node_should_run_daemon_pod",
    "outcome",
    "run",
    "settled_outcomes",
    "statefulset_sync",
    "validate_daemonset",
    "validate_daemonset_update",
    "validate_statefulset",
    "validate_statefulset_update",
]
