"""Int-or-percent scaling, in exact integer arithmetic.

ref kubernetes/kubernetes:staging/src/k8s.io/apimachinery/pkg/util/intstr/intstr.go
    (GetScaledValueFromIntOrPercent)
ref kubernetes/kubernetes:pkg/controller/deployment/util/deployment_util.go (ResolveFenceposts)

Upstream multiplies and divides in float64 and then rounds. `p * total` is an exact integer and a quotient
by 100 that is not an integer is at least 0.01 away from one, so `(p*total + 99) // 100` and
`(p*total) // 100` give the same results for every int32 input.
"""

from __future__ import annotations

from kubeprops.scenario.spec import IntOrPercent


def scaled_value(v: IntOrPercent, total: int, *, round_up: bool) -> int:
    """A plain integer unchanged (never capped); a percent of `total`, rounded up or down."""
    if not v.percent:
        return v.value
    scaled = v.value * total
    return -(-scaled // 100) if round_up else scaled // 100


def resolve_fenceposts(
    max_surge: IntOrPercent, max_unavailable: IntOrPercent, replicas: int
) -> tuple[int, int]:
    """(surge, unavailable) for a RollingUpdate Deployment: surge rounds up, unavailable down.

    If both resolve to 0, unavailable becomes 1 (validation forbids literal zeros for both, but rounding down
    may still reach 0) so the rollout can always make progress.
    """
    surge = scaled_value(max_surge, replicas, round_up=True)
    unavailable = scaled_value(max_unavailable, replicas, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable
