"""Hypothesis profiles and the timing checks every property run switches off."""

from hypothesis import HealthCheck, settings

from kubeprops.properties.profiles import PROFILES, harness_settings, profile_settings


def test_profiles_grow_from_ci_to_deep():
    ci, dev, deep = (profile_settings(name) for name in PROFILES)
    assert ci.derandomize and ci.database is None
    assert ci.max_examples < dev.max_examples < deep.max_examples
    assert all(p.deadline is None for p in (ci, dev, deep))


def test_user_settings_lose_the_inherited_deadline_but_keep_their_own_choices():
    hypothesis_default = settings.get_profile("default")
    given = settings(
        hypothesis_default, max_examples=2, suppress_health_check=[HealthCheck.differing_executors]
    )
    assert given.deadline is not None  # inherited from Hypothesis' defaults
    effective = harness_settings(given)
    assert effective.deadline is None and effective.max_examples == 2
    assert effective.report_multiple_bugs is False
    assert {HealthCheck.too_slow, HealthCheck.differing_executors} <= set(effective.suppress_health_check)
