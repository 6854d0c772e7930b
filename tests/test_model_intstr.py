"""Int-or-percent scaling and Deployment fenceposts (fact sheet 0.1)."""

import pytest

from kubeprops.reference_model.intstr import resolve_fenceposts, scaled_value
from kubeprops.scenario.spec import IntOrPercent

P = IntOrPercent.parse


@pytest.mark.parametrize(
    ("value", "total", "up", "down"),
    [
        ("25%", 10, 3, 2),  # worked example: 2.5 -> surge 3, unavailable 2
        ("10%", 7, 1, 0),  # 0.7
        ("1%", 2, 1, 0),  # 0.02
        ("25%", 2, 1, 0),  # 0.5
        ("50%", 4, 2, 2),  # exact
        ("0%", 10, 0, 0),
        ("200%", 3, 6, 6),  # maxSurge may exceed 100%
        ("33%", 2**31 - 1, 708669604, 708669603),  # int32 total: still exact in integers
    ],
)
def test_percent_rounds_as_asked(value, total, up, down):
    assert scaled_value(P(value), total, round_up=True) == up
    assert scaled_value(P(value), total, round_up=False) == down


def test_integers_pass_through_uncapped():
    assert scaled_value(P(7), 3, round_up=False) == 7
    assert scaled_value(P(7), 3, round_up=True) == 7


@pytest.mark.parametrize(
    ("surge", "unavailable", "replicas", "expected"),
    [
        ("25%", "25%", 10, (3, 2)),
        ("25%", "10%", 7, (2, 0)),
        ("1%", "0%", 2, (1, 0)),  # fence post: surge 1 keeps unavailable 0
        ("0%", "1%", 2, (0, 1)),  # both resolve to 0 -> unavailable 1
        ("25%", "25%", 4, (1, 1)),
        ("25%", "25%", 0, (0, 1)),  # the caller (MaxUnavailable) caps at replicas
    ],
)
def test_resolve_fenceposts(surge, unavailable, replicas, expected):
    assert resolve_fenceposts(P(surge), P(unavailable), replicas) == expected
