"""Scenario files: an operation sequence and where it came from, as YAML, for `kubeprops replay`.

A counterexample found on one target replays on any other. The format (version 1):

    kubeprops-scenario: 1
    controller: deployment            # lowercase kind whose properties found it
    property: settles-to-model        # the check to run while replaying
    seed: 5175                        # RunContext.seed (interleavings, on targets that have them)
    model-release: v1.35.4
    found-on: simulator (kubeprops)   # free text
    message: "..."                    # free text: the violation when it was found
    steps:
      - CreateDeployment:
          name: web
          spec: {replicas: 3, template: {labels: {app: web}, image: app:v1}}
      - Advance: {seconds: 60}
      - settle                        # wait until the target settles (and compare, for settles-to-model)

Each operation is a one-key mapping from its class name (`kubeprops.scenario.ops.Operation`, which
joins the ReplicaSet / Deployment operations of `ops`, the StatefulSet / DaemonSet ones of `apps_extra`
and the Job / CronJob ones of `batch`) to its fields, with the API defaults left out. Field values:

* nested specs (templates, strategies, policies, tolerations, taints, affinity terms) are mappings of
  their fields; lists (`tolerations`, `taints`, `values`, `volume_claim_templates`, `pod_failure_policy`)
  are YAML lists; label sets (`labels`, `selector`, `node_selector`) are `{key: value}` mappings;
* an IntOrPercent (`max_surge`, `max_unavailable`) is written as the API writes it: `1` or `"25%"`;
* an optional field is `null` or left out for its default (`rolling_update: null` is the RollingUpdate
  type with no rollingUpdate block, which differs from the block left out);
* enumerations are strings, as the API spells them (`OnDelete`, `Parallel`, `Forbid`, `NoSchedule`);
  a node condition's status is `'True'`, `'False'` or `'Unknown'`, quoted, since YAML reads an unquoted
  True / False as a boolean. The harness's own vocabularies (which workload `kind`, which pod `action`,
  which node `status`) are checked on load (`CHOICES`); API values are not, since a scenario may hold a
  spec the API server rejects on purpose (the model and the target must then agree on the rejection).

A controller's scenario takes its machine's operations only (`properties.replay` refuses the others), and
a CronJob scenario has no `settle` steps (its schedule never settles). Loading checks the whole file
before anything runs: an unknown operation or field, a missing field, a value of the wrong type or
outside its vocabulary is a `ScenarioError` naming the line and the field, with the fix.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Sequence

import attrs
import yaml

from . import apps_extra as apps
from . import batch, ops
from .ops import Operation
from .spec import IntOrPercent

VERSION = 1
SETTLE = "settle"
Step = typing.Union[Operation, str]  # noqa: UP007 - Operation is a runtime union object
HEADER = ("kubeprops-scenario", "controller", "property", "seed", "model-release", "found-on", "message")


#: The closed vocabularies of the harness's own fields (which workload, which pod fault, which node
#: condition): no API server validates them, so a typo would reach the target as an error or a no-op.
#: API fields (strategy types, taint effects, policies ...) are not listed: a scenario may hold a spec the
#: API rejects on purpose, and the model and the target must then agree on the rejection.
CHOICES: dict[tuple[type, str], tuple[str, ...]] = {
    (ops.Scale, "kind"): ops.WORKLOAD_KINDS,
    (ops.UpdateTemplate, "kind"): ops.WORKLOAD_KINDS,
    (ops.DeleteWorkload, "kind"): ops.WORKLOAD_KINDS,
    (ops.PodAction, "kind"): ops.WORKLOAD_KINDS,
    (ops.PodAction, "action"): ops.REPLICA_POD_ACTIONS,
    (ops.RelabelPod, "kind"): (*ops.WORKLOAD_KINDS, batch.JOB),
    (ops.OrphanPod, "kind"): (batch.JOB,),
    (apps.UpdateAppsTemplate, "kind"): ops.APPS_KINDS,
    (apps.DeleteAppsWorkload, "kind"): ops.APPS_KINDS,
    (apps.StatefulPodAction, "action"): ops.POD_ACTIONS,
    (apps.DaemonPodAction, "action"): ops.POD_ACTIONS,
    (apps.SetNodeReady, "status"): (apps.READY_TRUE, apps.READY_FALSE, apps.READY_UNKNOWN),
    (batch.SetSuspend, "kind"): ops.BATCH_KINDS,
}


class ScenarioError(ValueError):
    """A scenario file that cannot be replayed; `line` is 1-based (0 when unknown)."""

    def __init__(self, line: int, field: str, message: str) -> None:
        super().__init__(f"line {line}: {field}: {message}" if line else f"{field}: {message}")
        self.line, self.field = line, field


@attrs.frozen
class Scenario:
    controller: str
    property: str
    steps: tuple[Step, ...]
    seed: int = 0
    model_release: str = ""
    found_on: str = ""
    message: str = ""


def operation_classes() -> dict[str, type]:
    """Every operation class by name, from the `Operation` union (new kinds register by joining it)."""
    return {cls.__name__: cls for cls in typing.get_args(Operation)}


# ---------------------------------------------------------------- writing


def dump(scenario: Scenario) -> str:
    doc: dict[str, object] = {
        "kubeprops-scenario": VERSION,
        "controller": scenario.controller,
        "property": scenario.property,
        "seed": scenario.seed,
        "model-release": scenario.model_release,
        "found-on": scenario.found_on,
        "message": scenario.message,
        "steps": [_step_plain(step) for step in scenario.steps],
    }
    head = "# kubeprops scenario: replay with `kubeprops replay THIS_FILE [--adapter NAME]`\n"
    # Non-ASCII is escaped: PyYAML writes U+0085 / U+2028 raw with allow_unicode, and reads them back as line
    # breaks (a name "\x85" came back as " ")
    return head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=False, width=100)


def _step_plain(step: Step) -> object:
    return SETTLE if step == SETTLE else {type(step).__name__: _plain(step)}


def _plain(value: object) -> object:
    if isinstance(value, IntOrPercent):  # before attrs classes: written as the API writes it
        return value.to_api()
    if attrs.has(type(value)):
        out: dict[str, object] = {}
        for field in attrs.fields(type(value)):
            item = getattr(value, field.name)
            if _is_default(value, field, item):
                continue
            out[field.name] = _plain(item)
        return out
    if isinstance(value, tuple | list | frozenset):
        items = sorted(value) if isinstance(value, frozenset) else list(value)
        if items and all(_is_pair(i) for i in items):
            return {k: v for k, v in items}
        return [_plain(i) for i in items]
    return value


def _is_default(owner: object, field: attrs.Attribute, item: object) -> bool:
    default = field.default
    if default is attrs.NOTHING:
        return False
    if isinstance(default, attrs.Factory) and default.takes_self:  # type: ignore[arg-type]
        # derived from the other fields (a selector from the template's labels, a strategy's default
        # block from its type): left out when building without it gives the same value back
        others = {f.name: getattr(owner, f.name) for f in attrs.fields(type(owner)) if f is not field}
        return getattr(type(owner)(**others), field.name) == item
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return item == default.factory()  # type: ignore[attr-defined]
    return item == default


def _is_pair(item: object) -> bool:
    return isinstance(item, tuple) and len(item) == 2 and all(isinstance(x, str) for x in item)


# ---------------------------------------------------------------- reading


def load(text: str) -> Scenario:
    """Parse and check a whole scenario file; raises ScenarioError naming the line and field."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise ScenarioError(mark.line + 1 if mark else 0, "(file)", f"not valid YAML: {err}") from None
    if not isinstance(root, yaml.MappingNode):
        raise ScenarioError(1, "(file)", "expected a mapping with kubeprops-scenario, controller, ... steps")
    fields = _mapping(root, "(file)")
    unknown = set(fields) - {*HEADER, "steps"}
    if unknown:
        name = sorted(unknown)[0]
        raise ScenarioError(
            _line(fields[name][0]), name, f"unknown key; expected one of {', '.join(HEADER)}, steps"
        )
    version = _scalar(fields, "kubeprops-scenario", int, root)
    if version != VERSION:
        raise ScenarioError(
            _line(root), "kubeprops-scenario", f"version {version} is not supported; use {VERSION}"
        )
    steps_node = _required(fields, "steps", root)[1]
    if not isinstance(steps_node, yaml.SequenceNode):
        raise ScenarioError(_line(steps_node), "steps", "expected a list of operations and `settle`")
    return Scenario(
        controller=_scalar(fields, "controller", str, root),
        property=_scalar(fields, "property", str, root),
        seed=_scalar(fields, "seed", int, root, default=0),
        model_release=_scalar(fields, "model-release", str, root, default=""),
        found_on=_scalar(fields, "found-on", str, root, default=""),
        message=_scalar(fields, "message", str, root, default=""),
        steps=tuple(_step(node, f"steps[{i}]") for i, node in enumerate(steps_node.value)),
    )


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _mapping(node: yaml.Node, where: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        raise ScenarioError(_line(node), where, "expected a mapping of field: value")
    out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key, value in node.value:
        out[str(key.value)] = (key, value)
    return out


def _required(
    fields: dict[str, tuple[yaml.Node, yaml.Node]], name: str, parent: yaml.Node
) -> tuple[yaml.Node, yaml.Node]:
    if name not in fields:
        raise ScenarioError(_line(parent), name, "missing; add it")
    return fields[name]


_NO_DEFAULT = object()


def _scalar(
    fields: dict, name: str, kind: type, parent: yaml.Node, default: object = _NO_DEFAULT
) -> typing.Any:
    if name not in fields and default is not _NO_DEFAULT:
        return default
    node = _required(fields, name, parent)[1]
    return _value(kind, node, name)


def _construct(node: yaml.Node) -> object:
    return yaml.SafeLoader("").construct_object(node, deep=True)  # type: ignore[arg-type]


def _step(node: yaml.Node, where: str) -> Step:
    if isinstance(node, yaml.ScalarNode) and node.value == SETTLE:
        return SETTLE
    classes = operation_classes()
    if not isinstance(node, yaml.MappingNode) or len(node.value) != 1:
        raise ScenarioError(
            _line(node), where, "expected `settle` or a one-key mapping `<Operation>: {fields}`"
        )
    key, body = node.value[0]
    cls = classes.get(str(key.value))
    if cls is None:
        raise ScenarioError(
            _line(key), where, f"unknown operation {key.value!r}; known: {', '.join(sorted(classes))}"
        )
    return _attrs(cls, body, f"{where}.{cls.__name__}")  # type: ignore[return-value]


def _attrs(cls: type, node: yaml.Node, where: str) -> object:
    if isinstance(node, yaml.ScalarNode) and node.value in ("", "null", "~"):
        node = yaml.MappingNode("tag:yaml.org,2002:map", [], node.start_mark, node.end_mark)
    fields = _mapping(node, where)
    hints = typing.get_type_hints(cls)
    declared = {f.name: f for f in attrs.fields(cls)}
    unknown = set(fields) - set(declared)
    if unknown:
        name = sorted(unknown)[0]
        raise ScenarioError(
            _line(fields[name][0]),
            f"{where}.{name}",
            f"unknown field; {cls.__name__} has {', '.join(declared)}",
        )
    kwargs: dict[str, object] = {}
    for name, field in declared.items():
        if name in fields:
            kwargs[name] = _value(hints[name], fields[name][1], f"{where}.{name}")
            _check_choice(cls, name, kwargs[name], fields[name][1], f"{where}.{name}")
        elif field.default is attrs.NOTHING:
            raise ScenarioError(_line(node), f"{where}.{name}", "missing; add it")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as err:
        raise ScenarioError(_line(node), where, str(err)) from None


def _check_choice(cls: type, name: str, value: object, node: yaml.Node, where: str) -> None:
    choices = CHOICES.get((cls, name))
    if choices is not None and value not in choices:
        raise ScenarioError(_line(node), where, f"{value!r} is not one of {', '.join(choices)}")


def _value(tp: object, node: yaml.Node, where: str) -> object:
    decode = _decoder(tp)
    try:
        return decode(node, where)
    except ScenarioError:
        raise
    except (TypeError, ValueError) as err:
        raise ScenarioError(_line(node), where, str(err)) from None


def _decoder(tp: object) -> Callable[[yaml.Node, str], object]:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return lambda node, where: _union(args, node, where)
    if origin is tuple:
        return lambda node, where: _tuple(args, node, where)
    if tp is IntOrPercent:  # before attrs classes: it is one, but written as the API writes it
        return lambda node, where: IntOrPercent.parse(_construct(node))  # type: ignore[arg-type]
    if isinstance(tp, type) and attrs.has(tp):
        return lambda node, where: _attrs(tp, node, where)
    if tp in (int, str, bool, float):
        return lambda node, where: _plain_scalar(tp, node, where)  # type: ignore[arg-type]
    return lambda node, where: _construct(node)


def _plain_scalar(kind: type, node: yaml.Node, where: str) -> object:
    value = _construct(node)
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not ok:
        # YAML reads True/False/yes/no unquoted as booleans: a node condition's "False" must be quoted
        hint = f" (quote it: '{node.value}')" if kind is str and isinstance(value, bool) else ""
        raise ScenarioError(_line(node), where, f"expected {kind.__name__}, got {value!r}{hint}")
    return value


def _union(args: Sequence[object], node: yaml.Node, where: str) -> object:
    if type(None) in args and isinstance(node, yaml.ScalarNode) and _construct(node) is None:
        return None
    choices = [a for a in args if a is not type(None)]
    if len(choices) == 1:  # an optional field: its own error names the line and the nested field
        return _value(choices[0], node, where)
    errors = []
    for arg in choices:
        try:
            return _value(arg, node, where)
        except ScenarioError as err:
            errors.append(str(err).split(": ", 2)[-1])
    raise ScenarioError(_line(node), where, " or ".join(errors))


def _tuple(args: Sequence[object], node: yaml.Node, where: str) -> tuple:
    if len(args) == 2 and args[1] is Ellipsis:
        item = args[0]
        if isinstance(node, yaml.MappingNode):  # labels and other string maps: {key: value}
            return tuple((str(k.value), str(v.value)) for k, v in node.value)
        if not isinstance(node, yaml.SequenceNode):
            raise ScenarioError(_line(node), where, "expected a list")
        return tuple(_value(item, n, f"{where}[{i}]") for i, n in enumerate(node.value))
    if not isinstance(node, yaml.SequenceNode) or len(node.value) != len(args):
        raise ScenarioError(_line(node), where, f"expected a list of {len(args)} items")
    return tuple(_value(a, n, f"{where}[{i}]") for i, (a, n) in enumerate(zip(args, node.value, strict=True)))
