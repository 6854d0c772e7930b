"""Hypothesis profiles: `ci` (derandomized, small, the default), `dev`, `deep`.

Select one with `--hypothesis-profile NAME` (pytest), `kubeprops run --profile NAME`, or the
environment variable KUBEPROPS_PROFILE.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

PROFILES = ("ci", "dev", "deep")
DEFAULT_PROFILE = "ci"
ENV_VAR = "KUBEPROPS_PROFILE"

# Properties drive a whole (simulated) cluster per example: slow data generation is expected, and
# a fixed deadline would turn a slow machine into flaky failures.
SLOW_IS_NORMAL = (HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much)
_COMMON = dict(
    deadline=None,
    suppress_health_check=list(SLOW_IS_NORMAL),
    print_blob=False,
    # One shrunk counterexample per property keeps the report readable; the rest are found once it is fixed.
    report_multiple_bugs=False,
)


def harness_settings(given: settings) -> settings:
    """`given` as every property run needs it, whatever it inherited: no deadline, no too-slow health
    checks, and one failure reported per property.

    A user's `settings(max_examples=2)` inherits Hypothesis' default 200 ms deadline; one example drives a
    whole cluster, so on a loaded machine that would fail examples for being slow, not for being wrong.
    And with several distinct failures Hypothesis raises them as a group, which the report could not
    attribute to one property: the first one found is shrunk and reported, the rest show once it is fixed.
    """
    suppressed = [*given.suppress_health_check, *SLOW_IS_NORMAL]
    return settings(given, deadline=None, suppress_health_check=suppressed, report_multiple_bugs=False)


def register_profiles() -> None:
    settings.register_profile(
        "ci", max_examples=30, stateful_step_count=20, derandomize=True, database=None, **_COMMON
    )
    settings.register_profile("dev", max_examples=100, stateful_step_count=30, **_COMMON)
    settings.register_profile(
        "deep",
        max_examples=1000,
        stateful_step_count=50,
        phases=list(Phase),
        **_COMMON,
    )


def profile_settings(name: str | None = None) -> settings:
    """The settings of profile `name` (or $KUBEPROPS_PROFILE, or `ci`)."""
    register_profiles()
    chosen = name or os.environ.get(ENV_VAR) or DEFAULT_PROFILE
    if chosen not in PROFILES:
        raise ValueError(f"unknown Hypothesis profile {chosen!r}: choose one of {', '.join(PROFILES)}")
    return settings.get_profile(chosen)
