"""What the API server defaults and rejects for batch/v1 Jobs (the simulator's own, not the model's).

Only what the simulator's Job controller plays: counts, completion mode, restart policy, replacement
policy, the policies of `admission_job_policies`, and the immutability of completions, completionMode
and those policies on update. The first violation raises
`InvalidSpec(field, message)`.
ref: pkg/apis/batch/v1/defaults.go (SetDefaults_Job), pkg/apis/batch/validation/validation.go
(validateJobSpec, ValidateJobSpecUpdate)
"""

from __future__ import annotations

from kubeprops.scenario.errors import InvalidSpec

from .admission_job_policies import POLICY_FIELDS, default_policies, validate_policies
from .objects import Obj

NON_NEGATIVE = (
    "parallelism",
    "completions",
    "activeDeadlineSeconds",
    "backoffLimit",
    "ttlSecondsAfterFinished",
)
IMMUTABLE = ("completions", "completionMode", *POLICY_FIELDS[:3])  # ValidateJobSpecUpdate


def default_job(obj: Obj) -> None:
    spec = obj["spec"]
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1  # a one-off Job; parallelism set and completions unset is a work queue
    spec.setdefault("parallelism", 1)
    default_policies(spec)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")


def validate_job(obj: Obj, old: Obj | None = None) -> None:
    spec = obj["spec"]
    for field in NON_NEGATIVE:
        value = spec.get(field)
        if value is not None and value < 0:
            raise InvalidSpec(f"spec.{field}", f"must be greater than or equal to 0 (got {value})")
    mode = spec.get("completionMode")
    if mode not in ("NonIndexed", "Indexed"):
        raise InvalidSpec("spec.completionMode", f"Unsupported value: {mode!r}: use NonIndexed or Indexed")
    if mode == "Indexed" and spec.get("completions") is None:
        raise InvalidSpec("spec.completions", "when completion mode is Indexed: Required value")
    if spec.get("podReplacementPolicy") not in ("TerminatingOrFailed", "Failed"):
        raise InvalidSpec("spec.podReplacementPolicy", "Unsupported value: use TerminatingOrFailed or Failed")
    restart = ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy")
    if restart not in ("Never", "OnFailure"):
        raise InvalidSpec("spec.template.spec.restartPolicy", f"Unsupported value: {restart!r}")
    validate_policies(spec)
    for field in IMMUTABLE if old is not None else ():
        if spec.get(field) != old["spec"].get(field):
            raise InvalidSpec(f"spec.{field}", "field is immutable")
