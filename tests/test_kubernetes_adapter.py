"""The Kubernetes adapter against the real upstream control plane, with our virtual nodes.

One control plane for the whole module (session fixture, stopped by PID at the end). Skipped unless the
binaries are built or KUBEPROPS_CONTROLPLANE=1 (then it builds them first). Real time passes here:
the module takes a few minutes, most of it the small conformance run.
"""

import functools
import os
import sys
import threading
import time
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubeprops.adapters.protocol import RunContext
from kubeprops.cluster import is_built, start_cluster
from kubeprops.properties import strategies as s
from kubeprops.reference_model.quiescent import diff, summarize
from kubeprops.reference_model.validation import validate_deployment
from kubeprops.scenario import apps_extra as apps
from kubeprops.scenario import batch, ops
from kubeprops.scenario.errors import InvalidSpec
from kubeprops.scenario.spec import (
    DeploymentSpec,
    DeploymentStrategy,
    PodBehavior,
    PodTemplate,
    ReplicaSetSpec,
    RollingUpdate,
)

pytestmark = [
    pytest.mark.controlplane,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the control plane runs on Linux"),
]
WEB = {"app": "web"}
AGENT = {"app": "agent"}


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory):
    if not is_built() and os.environ.get("KUBEPROPS_CONTROLPLANE") != "1":
        pytest.skip(
            "control plane binaries not built: run `kubeprops cluster build` or set KUBEPROPS_CONTROLPLANE=1"
        )
    handle = start_cluster(tmp_path_factory.mktemp("kubernetes-adapter") / "cluster")
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def factory(control_plane):
    from kubeprops.adapters.kubernetes import kubernetes_factory

    return functools.partial(
        kubernetes_factory, kubeconfig=control_plane.kubeconfig, context=control_plane.context
    )


def ready_pods(view, image=None):
    return [p for p in view.pods if p.active and p.ready and (image is None or p.image == image)]


def test_protocol_round_trip(factory):
    adapter = factory(RunContext(run_id="round-trip"))
    api, run = adapter.api, adapter.run
    try:
        spec = DeploymentSpec(template=PodTemplate(WEB), replicas=3, progress_deadline_seconds=30)
        adapter.apply(ops.CreateDeployment("web", spec))
        assert adapter.settle(60).settled
        view = adapter.observe()
        assert len(ready_pods(view)) == 3
        assert {p.node for p in view.pods} <= {"node-0", "node-1", "node-2"}
        raw = api.list("Pod", adapter.namespace)
        assert all(p["spec"]["nodeName"].startswith(run) for p in raw)
        assert all(p["status"]["containerStatuses"][0]["ready"] for p in raw)
        assert view.deployments[0].status.condition("Available").status == "True"

        adapter.apply(ops.Scale("Deployment", "web", 5))
        assert adapter.settle(60).settled
        assert len(ready_pods(adapter.observe())) == 5

        adapter.apply(ops.UpdateTemplate("Deployment", "web", PodTemplate(WEB, image="app:v2")))
        result = adapter.settle(90)
        assert result.settled, result.reason
        view = adapter.observe()
        assert len(ready_pods(view, "app:v2")) == 5 and len(view.pods) == 5
        assert sorted((r.template.image, r.replicas) for r in view.replicasets) == [
            ("app:v1", 0),
            ("app:v2", 5),
        ]
        assert all(r.template.node_selector == () for r in view.replicasets)  # our injection is hidden

        adapter.apply(ops.PodAction("Deployment", "web", 0, ops.POD_FAIL))
        assert adapter.settle(60).settled
        view = adapter.observe()
        assert len(ready_pods(view)) == 5
        assert [p.phase for p in view.pods if not p.active] == ["Failed"]
    finally:
        adapter.close()
    assert_nothing_left(factory, adapter.namespace, run)


def assert_nothing_left(factory, namespace, run):
    from kubeprops.adapters.kubernetes.client import Api, load_api_client

    check = Api(load_api_client(factory.keywords["kubeconfig"], factory.keywords["context"]))
    try:
        assert check.get("Namespace", "", namespace) is None
        assert check.list("Node", selector=f"kubeprops.io/run={run}") == []
        assert check.list("Lease", "kube-node-lease", selector=f"kubeprops.io/run={run}") == []
        assert check.list("PersistentVolume", selector=f"kubeprops.io/run={run}") == []  # cluster-scoped
    finally:
        check.close()


def test_invalid_specs_are_rejected_naming_the_field_as_the_model_does(factory):
    zero = DeploymentStrategy("RollingUpdate", RollingUpdate(0, 0))
    cases = [
        DeploymentSpec(template=PodTemplate(WEB), strategy=zero),
        DeploymentSpec(template=PodTemplate(WEB), selector={"app": "other"}),
        DeploymentSpec(template=PodTemplate(WEB), min_ready_seconds=10, progress_deadline_seconds=10),
        DeploymentSpec(template=PodTemplate(WEB), replicas=-1),
    ]
    adapter = factory(RunContext(run_id="invalid"))
    try:
        for i, spec in enumerate(cases):
            with pytest.raises(InvalidSpec) as model:
                validate_deployment(f"bad-{i}", spec)
            with pytest.raises(InvalidSpec) as target:
                adapter.apply(ops.CreateDeployment(f"bad-{i}", spec))
            assert target.value.field == model.value.field, (target.value, model.value)
        adapter.apply(ops.CreateDeployment("good", DeploymentSpec(template=PodTemplate(WEB))))
        with pytest.raises(InvalidSpec) as negative:
            adapter.apply(ops.Scale("Deployment", "good", -2))
        assert negative.value.field == "spec.replicas"
        assert adapter.observe().deployments[0].spec.replicas == 1
    finally:
        adapter.close()


def test_node_leave_pods_go_by_pod_gc_and_are_replaced(factory):
    adapter = factory(RunContext(run_id="node-leave"), nodes=1)
    try:
        adapter.apply(ops.NodeJoin("node-9", (("zone", "b"),)))
        spec = ReplicaSetSpec(template=PodTemplate(WEB, node_selector={"zone": "b"}), replicas=2)
        adapter.apply(ops.CreateReplicaSet("web", spec))
        assert adapter.settle(60).settled
        assert {p.node for p in adapter.observe().pods} == {"node-9"}
        adapter.apply(ops.NodeJoin("node-8", (("zone", "b"),)))
        started = time.monotonic()
        adapter.apply(ops.NodeLeave("node-9"))
        result = adapter.settle(120)
        gone = time.monotonic() - started
        assert result.settled, result.reason
        view = adapter.observe()
        assert {p.node for p in view.pods} == {"node-8"} and len(ready_pods(view)) == 2
        assert 30 < gone < 90  # pod GC: 40 s quarantine for a missing node, checked every 20 s
    finally:
        adapter.close()


def daemon_nodes(view):
    return sorted(p.node for p in view.pods if p.active)


def test_daemonset_runs_one_pod_per_eligible_node_and_follows_labels_and_taints(factory):
    adapter = factory(RunContext(run_id="ds"), wait_for_namespace=False)
    try:
        template = apps.AppsPodTemplate(AGENT, node_selector={"zone": "a"})
        adapter.apply(apps.CreateDaemonSet("agent", apps.DaemonSetSpec(template)))
        assert adapter.settle(60).settled and daemon_nodes(adapter.observe()) == []
        for node in ("node-0", "node-1"):
            adapter.apply(apps.SetNodeLabels(node, {"zone": "a"}))
        assert adapter.settle(60).settled
        view = adapter.observe()
        assert daemon_nodes(view) == ["node-0", "node-1"]
        assert view.daemonsets[0].status.desired_number_scheduled == 2
        assert view.daemonsets[0].status.number_ready == 2
        # a NoExecute taint the pods do not tolerate evicts them; the run's own taint stays hidden
        adapter.apply(apps.SetNodeTaints("node-1", (apps.Taint("gpu", apps.NO_EXECUTE),)))
        assert adapter.settle(60).settled
        view = adapter.observe()
        assert daemon_nodes(view) == ["node-0"]
        assert next(n for n in view.nodes if n.name == "node-1").taints == (
            apps.Taint("gpu", apps.NO_EXECUTE),
        )
        # a node that is not Ready keeps its daemon pod, not Ready
        adapter.apply(apps.SetNodeReady("node-0", apps.READY_FALSE))
        assert adapter.settle(60).settled
        view = adapter.observe()
        assert [p.ready for p in view.pods if p.active] == [False]
        assert next(n for n in view.nodes if n.name == "node-0").ready_status == apps.READY_FALSE
    finally:
        adapter.close()


def test_a_job_completes_and_another_fails_at_its_backoff_limit(factory):
    adapter = factory(RunContext(run_id="job"), wait_for_namespace=False)
    try:
        work = PodTemplate({"app": "work"}, image="worker:v1")
        adapter.apply(batch.CreateJob("work", batch.JobSpec(work, completions=2, parallelism=2)))
        adapter.apply(batch.CreateJob("bad", batch.JobSpec(work, backoff_limit=0)))
        adapter.apply(batch.PodSucceeds("work", 0))
        adapter.apply(batch.PodSucceeds("work", 0))
        adapter.apply(batch.PodFails("bad", 0, exit_code=42))
        assert adapter.settle(60).settled
        view = adapter.observe()
        done, failed = (
            next(j for j in view.jobs if j.name == "work"),
            next(j for j in view.jobs if j.name == "bad"),
        )
        assert (done.status.succeeded, done.status.finished.type) == (2, batch.COMPLETE)
        assert (failed.status.failed, failed.status.finished.reason) == (1, batch.BACKOFF_LIMIT_EXCEEDED)
        assert [p.exit_code for p in view.job_pods if p.job == "bad"] == [42]
        assert not any(p.finalizer for p in view.job_pods)  # every pod counted
    finally:
        adapter.close()


def test_the_job_controller_counts_pod_exits_of_one_second_in_one_sync(factory):
    # job_controller.go@v1.35.4: pod events sync the Job after SyncJobBatchPeriod (1 s), a wait already
    # queued keeps its time. Two exits written back to back are counted by one sync (succeeded 0 -> 2,
    # never 1), and completionTime (whole seconds) is that sync's: 1 s after the first exit, as the model
    # and the simulator have it, plus the informers' delay.
    adapter = factory(RunContext(run_id="jobbatch"), wait_for_namespace=False)
    try:
        spec = batch.JobSpec(PodTemplate({"app": "pair"}, image="worker:v1"), completions=2, parallelism=2)
        adapter.apply(batch.CreateJob("pair", spec))
        assert adapter.settle(60).settled
        adapter.advance(3)  # the batched syncs of the pods' start are over
        names = [p.name for p in adapter.observe().job_pods]
        succeeded: list[int] = []
        exited = time.time()
        for name in names:
            adapter.kubelet.exit_pod(name, 0)
        written = time.time()
        assert adapter.settle(60, observer=lambda v: succeeded.append(v.jobs[0].status.succeeded)).settled
        view = adapter.observe()
        job = view.jobs[0]
        assert job.status.succeeded == 2 and job.status.finished.type == batch.COMPLETE
        assert 1 not in succeeded, succeeded
        completed = view.epoch + job.status.completion_time
        print(f"exits written within {written - exited:.3f} s; completionTime {completed - exited:+.3f} s")
        assert int(exited) + 1 <= completed < written + 2, (exited, written, completed)
    finally:
        adapter.close()


def wall_clock_second_between(adapter, low, high):
    """Let real time pass until the second of the minute is in [low, high]: a CronJob's slots are whole
    minutes of the wall clock."""
    second = time.time() % 60
    if not low <= second <= high:
        adapter.advance((low - second) % 60)


def test_cronjob_round_trip_a_job_per_minute_succeeds_and_suspend_stops_it(factory):
    adapter = factory(RunContext(run_id="cron"), wait_for_namespace=False)
    try:
        job = batch.JobSpec(PodTemplate({"app": "tick"}, image="ticker:v1"), backoff_limit=0)
        wall_clock_second_between(adapter, 5, 45)  # the next whole minute is the first slot
        adapter.apply(batch.CreateCronJob("tick", batch.CronJobSpec("*/1 * * * *", job)))
        before = time.time()
        view = adapter.observe()
        # the model's Unix time is the wall clock when the view was taken (bracketed: no load-sensitive slack)
        assert before - 0.01 <= view.epoch + view.now <= time.time() + 0.01
        assert not view.jobs and view.cronjobs[0].status.last_schedule_time is None
        slot = (int(view.epoch + view.now) // 60 + 1) * 60
        adapter.advance(slot + 5 - time.time())
        view = adapter.observe()
        name = f"tick-{slot // 60}"  # minutes since the Unix epoch (cronjob_controllerv2.go getJobName)
        assert [(j.name, j.owner, j.scheduled_time + view.epoch) for j in view.jobs] == [(name, "tick", slot)]
        cron = view.cronjobs[0].status
        assert (cron.active, cron.last_schedule_time + view.epoch) == ((name,), slot)
        assert [p.job for p in view.job_pods] == [name]
        assert {p.node for p in view.pods} <= {"node-0", "node-1", "node-2"}  # played by our kubelet
        adapter.apply(batch.PodSucceeds(name))
        view = adapter.observe()
        assert view.jobs[0].status.finished.type == batch.COMPLETE
        cron = view.cronjobs[0].status
        assert cron.active == () and slot < cron.last_successful_time + view.epoch <= time.time()
        adapter.apply(batch.SetSuspend(batch.CRONJOB, "tick", True))
        wall_clock_second_between(adapter, 5, 45)
        adapter.advance(60)  # a whole minute: one more slot passes, suspended
        view = adapter.observe()
        assert [j.name for j in view.jobs] == [name]
        assert view.cronjobs[0].status.last_schedule_time + view.epoch == slot
    finally:
        adapter.close()


def test_deleting_a_cronjob_takes_its_jobs_and_pods_and_a_recreated_one_starts_afresh(factory):
    # Real minutes pass (about two and a half): one slot to get a running child, one for the new CronJob
    adapter = factory(RunContext(run_id="crondel"), wait_for_namespace=False)
    try:
        job = batch.JobSpec(PodTemplate({"app": "tick"}, image="ticker:v1"), backoff_limit=0)
        wall_clock_second_between(adapter, 5, 45)
        adapter.apply(batch.CreateCronJob("tick", batch.CronJobSpec("*/1 * * * *", job)))
        view = adapter.observe()
        old_uid = view.cronjobs[0].uid
        slot = (int(view.epoch + view.now) // 60 + 1) * 60
        adapter.advance(slot + 5 - time.time())
        view = adapter.observe()
        name = f"tick-{slot // 60}"
        assert [j.name for j in view.jobs] == [name] and [p.job for p in view.job_pods if p.active] == [name]
        adapter.apply(batch.DeleteCronJob("tick"))  # returns once the garbage collector took the Job
        view = adapter.observe()
        assert view.cronjobs == () and view.jobs == ()
        assert not [p.name for p in view.job_pods if p.active]  # its pod is at most terminating
        assert adapter.settle(60).settled
        assert adapter.observe().job_pods == ()  # and then gone: the Job controller let go of it
        adapter.apply(batch.DeleteCronJob("tick"))  # a second delete: nothing there, no error
        wall_clock_second_between(adapter, 5, 45)
        adapter.apply(batch.CreateCronJob("tick", batch.CronJobSpec("*/1 * * * *", job)))
        view = adapter.observe()
        (cj,) = view.cronjobs
        assert cj.uid != old_uid and cj.status == batch.CronJobStatus()  # a new object, fresh status
        assert view.jobs == ()  # the deleted CronJob's Job is not back
        slot = (int(view.epoch + view.now) // 60 + 1) * 60
        adapter.advance(slot + 5 - time.time())
        view = adapter.observe()
        new = f"tick-{slot // 60}"
        assert [(j.name, j.owner) for j in view.jobs] == [(new, "tick")]
        assert view.cronjobs[0].status.active == (new,)
        assert view.cronjobs[0].status.last_schedule_time + view.epoch == slot
    finally:
        adapter.close()


def statefulset_ordinals(view):
    """The ordinals of the StatefulSet's live pods."""
    return sorted(int(p.name.rsplit("-", 1)[1]) for p in view.pods if not p.deleting)


def deleting_by_name(pods):
    """{pod name: whether it carries a deletionTimestamp}."""
    return {p["metadata"]["name"]: bool(p["metadata"].get("deletionTimestamp")) for p in pods}


class OrdinalWatch:
    """(live ordinals, terminating ordinals) after every pod event of the run's namespace, in the
    server's order.

    A watch, not a poll: a state that lasts a few milliseconds (web-2 gone, web-1 not yet deleting)
    is an event like any other, so a missing intermediate state means the controller skipped it.
    """

    def __init__(self, adapter):
        self.adapter, self.states, self.deleting = adapter, [], {}
        self.changed = threading.Condition()
        self.stream = None
        self.thread = threading.Thread(target=self.run, daemon=True)

    def note(self):
        """Appends the live ordinals if they changed; called with `changed` held."""
        ordinals = {n: int(n.rsplit("-", 1)[1]) for n in self.deleting}
        state = tuple(
            sorted(o for n, o in ordinals.items() if self.deleting[n] is going) for going in (False, True)
        )
        if not self.states or self.states[-1] != state:
            self.states.append(state)
        self.changed.notify_all()

    def run(self):
        try:
            for event in self.stream:
                if event["type"] not in ("ADDED", "MODIFIED", "DELETED"):
                    continue  # bookmarks
                with self.changed:
                    if event["type"] == "DELETED":
                        self.deleting.pop(event["object"]["metadata"]["name"], None)
                    else:
                        self.deleting.update(deleting_by_name([event["object"]]))
                    self.note()
        except Exception:  # close() ends the read with a socket error; the states are kept
            pass

    def __enter__(self):
        pods, version = self.adapter.api.list_versioned("Pod", self.adapter.namespace)
        with self.changed:
            self.deleting = deleting_by_name(pods)
            self.note()
        self.stream = self.adapter.api.watch("Pod", self.adapter.namespace, "", version)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        # catch up with what the API shows now before closing, so the last state is the settled one
        final = deleting_by_name(self.adapter.api.list("Pod", self.adapter.namespace))
        with self.changed:
            self.changed.wait_for(lambda: self.deleting == final, timeout=10)
        self.stream.close()
        self.thread.join(10)


def claims_of(adapter):
    """{claim name: (uid, phase)} read from the API: binding is not part of the view."""
    raw = adapter.api.list("PersistentVolumeClaim", adapter.namespace)
    return {c["metadata"]["name"]: (c["metadata"]["uid"], c["status"].get("phase")) for c in raw}


def test_statefulset_round_trip_ordered_pods_claims_and_a_partitioned_rollout(factory):
    adapter = factory(RunContext(run_id="sts"))
    seen = []

    def record(view):  # every state the adapter shows: OrderedReady keeps the live ordinals a prefix
        seen.append(statefulset_ordinals(view))

    def settle():
        result = adapter.settle(90, observer=record)
        assert result.settled, result.reason
        return adapter.observe()

    try:
        # Ready 1 s after start: each pod is created only once its predecessor is Ready
        template = apps.AppsPodTemplate(WEB, behavior=PodBehavior(1))
        spec = apps.StatefulSetSpec(template, replicas=3, volume_claim_templates=("data",))
        adapter.apply(apps.CreateStatefulSet("web", spec))
        view = settle()
        assert [p.name for p in view.pods] == ["web-0", "web-1", "web-2"] and len(ready_pods(view)) == 3
        created = [p.created for p in sorted(view.pods, key=lambda p: p.name)]
        assert created == sorted(created) and len(set(created)) == 3
        claims = claims_of(adapter)
        assert sorted(claims) == ["data-web-0", "data-web-1", "data-web-2"]
        assert {phase for _, phase in claims.values()} == {"Bound"}  # by our provisioner's volumes

        # scale down: highest ordinal first, one at a time; Retain keeps every claim
        with OrdinalWatch(adapter) as watch:
            adapter.apply(apps.ScaleStatefulSet("web", 1))
            view = settle()
        assert statefulset_ordinals(view) == [0]
        # web-1 is marked for deletion only once web-2 is gone
        assert watch.states == [
            ([0, 1, 2], []),
            ([0, 1], [2]),
            ([0, 1], []),
            ([0], [1]),
            ([0], []),
        ]
        assert claims_of(adapter) == claims
        # scale up again: the same claims, not new ones
        adapter.apply(apps.ScaleStatefulSet("web", 3))
        settle()
        assert claims_of(adapter) == claims
        assert all(o == list(range(len(o))) for o in seen)

        # whenScaled Delete: the garbage collector deletes the claim of a pod removed by scale-down
        policy = apps.PersistentVolumeClaimRetentionPolicy(apps.RETAIN, apps.DELETE)
        adapter.apply(apps.SetPVCRetentionPolicy("web", policy))
        adapter.apply(apps.ScaleStatefulSet("web", 2))
        view = settle()
        assert statefulset_ordinals(view) == [0, 1]
        assert sorted(claims_of(adapter)) == ["data-web-0", "data-web-1"]
        assert sorted(c.name for c in view.claims) == ["data-web-0", "data-web-1"]

        # a rolling update with partition 1 updates web-1 only, then all once the partition is 0
        adapter.apply(apps.SetPartition("web", 1))
        adapter.apply(
            apps.UpdateAppsTemplate(apps.STATEFULSET, "web", attrs.evolve(template, image="app:v2"))
        )
        view = settle()
        images = {p.name: p.image for p in view.pods}
        assert images == {"web-0": "app:v1", "web-1": "app:v2"}
        sts = view.statefulsets[0]
        assert (sts.status.updated_replicas, sts.status.current_replicas) == (1, 1)
        assert sts.status.current_revision != sts.status.update_revision
        assert sorted(r.revision for r in view.controller_revisions) == [1, 2]
        adapter.apply(apps.SetPartition("web", 0))
        view = settle()
        assert {p.image for p in view.pods} == {"app:v2"} and len(ready_pods(view)) == 2
        sts = view.statefulsets[0]
        assert sts.status.current_revision == sts.status.update_revision
        assert sts.status.updated_replicas == 2
    finally:
        adapter.close()
    assert_nothing_left(factory, adapter.namespace, adapter.run)


def test_bad_kubeconfig_or_context_is_a_usage_error(control_plane, tmp_path, capsys):
    from kubeprops.cli import main

    missing = tmp_path / "nope.kubeconfig"
    assert main(["run", "--adapter", "kubernetes", "--kubeconfig", str(missing)]) == 2
    assert "--kubeconfig" in capsys.readouterr().err
    kubeconfig = str(control_plane.kubeconfig)
    assert main(["run", "--adapter", "kubernetes", "--kubeconfig", kubeconfig, "--context", "prod"]) == 2
    err = capsys.readouterr().err
    assert "--context 'prod'" in err and "kubeprops-local" in err and "Traceback" not in err


def test_the_model_follows_the_servers_release(control_plane):
    from kubeprops import PINNED_RELEASE
    from kubeprops.adapters.registry import target_version

    options = {"kubeconfig": control_plane.kubeconfig, "context": control_plane.context}
    assert target_version("kubernetes", "unknown", **options) == PINNED_RELEASE


def test_small_conformance_run(factory):
    from kubeprops.properties import run_conformance

    # Node leaves cost 40-60 s each of real pod-GC time: checked by their own test above, not here.
    # Examples do not wait for their namespaces' fixed 5 s deletion delay; the end of the test does.
    started = time.monotonic()
    report = run_conformance(
        functools.partial(factory, node_operations=False, wait_for_namespace=False),
        controllers=["replicaset", "deployment"],
        settings=settings(max_examples=3, stateful_step_count=8, database=None),
        run_id=f"ci{os.getpid()}",
    )
    print(f"conformance on the control plane: {time.monotonic() - started:.0f} s")
    for r in report.results:
        print(f"  {r.controller}/{r.property}: {r.verdict} {r.seconds:.0f}s {r.stats.examples} examples")
    assert report.passed, report.text()
    assert wait_for(lambda: not namespaces_named(factory, f"kp-main-ci{os.getpid()}-"), 60)
    skipped = {(r.controller, r.property) for r in report.results if r.verdict == "skipped"}
    assert skipped == {("replicaset", "per-sync-decisions"), ("deployment", "per-sync-decisions")}


# Derandomized and small, so their real time is known: a Job example can wait out an active deadline
# (up to 120 s), hence fewer steps there. The full runs and their numbers are in the README.
SMALL_RUNS = {"daemonset": (2, 6), "job": (2, 3), "statefulset": (2, 6)}  # controller: (examples, steps)


@pytest.mark.parametrize("controller", sorted(SMALL_RUNS))
def test_small_apps_and_job_conformance_runs(factory, controller):
    from kubeprops.properties import run_conformance

    examples, steps = SMALL_RUNS[controller]
    started = time.monotonic()
    report = run_conformance(
        functools.partial(factory, wait_for_namespace=False),
        controllers=[controller],
        settings=settings(max_examples=examples, stateful_step_count=steps, database=None, derandomize=True),
        run_id=f"{controller[:2]}{os.getpid()}",
    )
    print(f"{controller} conformance on the control plane: {time.monotonic() - started:.0f} s")
    for r in report.results:
        print(f"  {r.controller}/{r.property}: {r.verdict} {r.seconds:.0f}s {r.stats.examples} examples")
    assert report.passed, report.text()
    assert {r.property for r in report.results if r.verdict == "pass"} == {
        "always-invariants",
        "settles-to-model",
    }


def test_small_cronjob_conformance_run(factory):
    # Real minutes pass: a time step waits for the CronJob's next slot when it comes within a minute (else
    # 3 s), so 2 derandomized examples of 3 steps take a few minutes (see properties/cron_clock.py).
    from kubeprops.properties import run_conformance

    started = time.monotonic()
    report = run_conformance(
        functools.partial(factory, wait_for_namespace=False),
        controllers=["cronjob"],
        settings=settings(max_examples=2, stateful_step_count=3, database=None, derandomize=True),
        run_id=f"cj{os.getpid()}",
    )
    print(f"cronjob conformance on the control plane: {time.monotonic() - started:.0f} s")
    for r in report.results:
        print(f"  {r.controller}/{r.property}: {r.verdict} {r.seconds:.0f}s {r.stats.examples} examples")
    assert report.passed, report.text()
    assert {r.property for r in report.results if r.verdict == "pass"} == {
        "always-invariants",
        "settles-to-model",
    }


def namespaces_named(factory, prefix):
    from kubeprops.adapters.kubernetes.client import Api, load_api_client

    api = Api(load_api_client(factory.keywords["kubeconfig"], factory.keywords["context"]))
    try:
        return [
            n["metadata"]["name"] for n in api.list("Namespace") if n["metadata"]["name"].startswith(prefix)
        ]
    finally:
        api.close()


def wait_for(done, timeout):
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


RBAC = Path(__file__).resolve().parents[1] / "adapters" / "kubernetes" / "rbac.yaml"


def service_account_kubeconfig(control_plane, directory: Path) -> Path:
    """Apply the shipped RBAC manifest as the admin, then a kubeconfig for its ServiceAccount's token."""
    import yaml
    from kubernetes import client, config, utils

    admin = config.new_client_from_config(str(control_plane.kubeconfig), context=control_plane.context)
    try:
        try:
            utils.create_from_yaml(admin, str(RBAC))
        except utils.FailToCreateError as err:  # applied by an earlier test of this session
            assert all(e.status == 409 for e in err.api_exceptions), err
        request = client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=[]))
        core = client.CoreV1Api(admin)
        token = core.create_namespaced_service_account_token("kubeprops", "kubeprops-system", request)
    finally:
        admin.close()
    kubeconfig = yaml.safe_load(Path(control_plane.kubeconfig).read_text())
    for user in kubeconfig["users"]:
        user["user"] = {"token": token.status.token}
    path = directory / "service-account.kubeconfig"
    path.write_text(yaml.safe_dump(kubeconfig))
    return path


def test_the_shipped_rbac_role_is_all_the_adapter_needs(control_plane, tmp_path):
    from kubeprops.adapters.kubernetes import kubernetes_factory

    kubeconfig = service_account_kubeconfig(control_plane, tmp_path)
    limited = functools.partial(kubernetes_factory, kubeconfig=kubeconfig, context=control_plane.context)
    adapter = limited(RunContext(run_id="rbac"))
    run = adapter.run
    try:
        adapter.apply(ops.CreateReplicaSet("web", ReplicaSetSpec(template=PodTemplate(WEB), replicas=2)))
        assert adapter.settle(60).settled
        adapter.apply(ops.PodAction("ReplicaSet", "web", 0, ops.POD_FAIL))
        adapter.apply(ops.PodAction("ReplicaSet", "web", 0, ops.POD_DELETE))
        adapter.apply(apps.CreateDaemonSet("agent", apps.DaemonSetSpec(apps.AppsPodTemplate(AGENT))))
        adapter.apply(apps.SetNodeLabels("node-0", {"zone": "a"}))
        adapter.apply(batch.CreateJob("once", batch.JobSpec(PodTemplate({"app": "work"}))))
        adapter.apply(batch.PodSucceeds("once", 0))
        ticker = batch.JobSpec(PodTemplate({"app": "tick"}))
        adapter.apply(batch.CreateCronJob("tick", batch.CronJobSpec("*/1 * * * *", ticker, suspend=True)))
        adapter.apply(batch.SetSchedule("tick", "0 9 * * 1-5", "Asia/Tokyo"))
        db = apps.StatefulSetSpec(
            apps.AppsPodTemplate({"app": "db"}), replicas=2, volume_claim_templates=("data",)
        )
        adapter.apply(apps.CreateStatefulSet("db", db))
        assert adapter.settle(60).settled
        view = adapter.observe()
        assert view.replicaset("web").status.ready_replicas == 2
        assert view.daemonsets[0].status.number_ready == 3  # one per virtual node
        assert view.jobs[0].status.succeeded == 1
        assert view.statefulsets[0].status.ready_replicas == 2  # its claims bound by the adapter's volumes
        assert sorted(c.name for c in view.claims) == ["data-db-0", "data-db-1"]
        assert [(c.spec.schedule, c.spec.time_zone) for c in view.cronjobs] == [("0 9 * * 1-5", "Asia/Tokyo")]
        adapter.apply(batch.DeleteCronJob("tick"))
        assert adapter.observe().cronjobs == ()
    finally:
        adapter.close()
    admin = functools.partial(
        kubernetes_factory, kubeconfig=control_plane.kubeconfig, context=control_plane.context
    )
    assert_nothing_left(admin, adapter.namespace, run)


def test_bare_pods_are_adopted_and_relabelled_pods_released_as_on_the_simulator(control_plane, tmp_path):
    # Under the shipped RBAC role: pod steps create and update pods too.
    from kubeprops.adapters.kubernetes import kubernetes_factory
    from kubeprops.adapters.kubernetes.kubelet import RUN_LABEL
    from kubeprops.adapters.simulator import simulator_factory

    kubeconfig = service_account_kubeconfig(control_plane, tmp_path)
    limited = functools.partial(kubernetes_factory, kubeconfig=kubeconfig, context=control_plane.context)
    operations = [
        ops.CreateReplicaSet("web", ReplicaSetSpec(template=PodTemplate(WEB), replicas=2)),
        ops.CreateBarePod("lone", PodTemplate(WEB)),  # adopted: one too many, one of the three goes
        ops.CreateBarePod("db", PodTemplate({"app": "db"})),  # never matches: an orphan that runs
        ops.RelabelPod("ReplicaSet", "web", 0, {"app": "moved"}),  # released and replaced
    ]
    adapter = limited(RunContext(run_id="adopt"), node_operations=False)
    run = adapter.run
    try:
        observed = settled_summaries(adapter, operations)
        view = adapter.observe()
        assert view.replicaset("web").status.ready_replicas == 2
        assert (
            sorted((p.labels, p.owner is None) for p in view.pods if p.active).count(
                ((("app", "web"),), False)
            )
            == 2
        )
        orphans = {p.name: p.labels for p in view.pods if p.active and p.owner is None}
        assert sorted(orphans.values()) == [(("app", "db"),), (("app", "moved"),)]
        raw = {p["metadata"]["name"]: p for p in adapter.api.list("Pod", adapter.namespace)}
        assert raw["db"]["metadata"]["labels"][RUN_LABEL] == run  # ours, with the label hidden in views
        assert raw["db"]["spec"]["nodeName"].startswith(run)  # on our virtual nodes only
        with pytest.raises(InvalidSpec) as taken:
            adapter.apply(ops.CreateBarePod("db", PodTemplate({"app": "db"})))
        assert taken.value.field == "metadata.name"
        with pytest.raises(InvalidSpec) as bad:
            adapter.apply(ops.RelabelPod("ReplicaSet", "web", 0, {"app": "-bad-"}))
        assert bad.value.field == "metadata.labels"
    finally:
        adapter.close()
    simulated = settled_summaries(simulator_factory(RunContext(seed=0)), operations)
    for op, sim_summary, real_summary in zip(operations, simulated, observed, strict=True):
        assert diff(sim_summary, real_summary) == [], op
    admin = functools.partial(
        kubernetes_factory, kubeconfig=control_plane.kubeconfig, context=control_plane.context
    )
    assert_nothing_left(admin, adapter.namespace, run)


def test_a_job_adopts_its_orphaned_pod_back_and_releases_a_relabelled_one(control_plane, tmp_path):
    # The conformance test "Jobs, orphan pods, re-adoption" (test/e2e/apps/job.go), under the shipped
    # RBAC role, against the batch model: the Job adopts an orphaned pod back with the tracking finalizer
    # (job_controller.go getPodsForJob, controller_ref_manager.go AdoptPod) and releases a pod whose
    # labels stopped matching without it (ReleasePod); that one runs on, a replacement takes its place.
    from kubeprops.adapters.kube_objects_batch import JOB_TRACKING_FINALIZER
    from kubeprops.adapters.kubernetes import kubernetes_factory
    from kubeprops.reference_model import batch_world

    kubeconfig = service_account_kubeconfig(control_plane, tmp_path)
    limited = functools.partial(kubernetes_factory, kubeconfig=kubeconfig, context=control_plane.context)
    spec = batch.JobSpec(PodTemplate({"app": "work"}, image="worker:v1"), completions=4, parallelism=2)
    adapter = limited(RunContext(run_id="jobadopt"), node_operations=False)
    run, model = adapter.run, batch_world.BatchState()

    def raw(name):
        return adapter.api.get("Pod", adapter.namespace, name)["metadata"]

    def step(op):
        nonlocal model
        adapter.apply(op)
        assert adapter.settle(60).settled
        model, settled = batch_world.settle(batch_world.apply(model, op), 3600)
        assert settled
        view = adapter.observe()
        assert tuple(batch_world.job_outcome(j) for j in view.jobs) == batch_world.outcome(model).jobs
        running = sum(1 for p in view.pods if p.owner is None and p.active)
        assert running == sum(1 for _, p in model.orphans if p.active)
        return view

    try:
        view = step(batch.CreateJob("work", spec))
        first = sorted(view.job_pods, key=batch.job_pod_order)[0].name
        uid = raw(first)["uid"]
        view = step(ops.OrphanPod(batch.JOB, "work", 0))
        meta = raw(first)
        assert meta["uid"] == uid  # the same pod, adopted back (nothing replaced it)
        assert [r["name"] for r in meta["ownerReferences"] if r.get("controller")] == ["work"]
        assert JOB_TRACKING_FINALIZER in meta["finalizers"]
        view = step(ops.RelabelPod(batch.JOB, "work", 0, {}))
        meta = raw(first)
        assert not meta.get("ownerReferences") and JOB_TRACKING_FINALIZER not in (
            meta.get("finalizers") or ()
        )
        assert first not in {p.name for p in view.job_pods} and view.jobs[0].status.active == 2
        with pytest.raises(InvalidSpec) as bad:
            adapter.apply(ops.RelabelPod(batch.JOB, "work", 0, {"app": "-bad-"}))
        assert bad.value.field == "metadata.labels"
        for _ in range(4):
            view = step(batch.PodSucceeds("work", 0))
        assert view.jobs[0].status.succeeded == 4 and view.jobs[0].status.finished.type == batch.COMPLETE
    finally:
        adapter.close()
    admin = functools.partial(
        kubernetes_factory, kubeconfig=control_plane.kubeconfig, context=control_plane.context
    )
    assert_nothing_left(admin, adapter.namespace, run)


# ---------------------------------------------------------------- differential: simulator vs real cluster

HEALTHY = st.builds(
    PodTemplate,
    labels=st.just(WEB),
    image=st.sampled_from(["app:v1", "app:v2", "app:v3"]),
    behavior=st.sampled_from([PodBehavior(0), PodBehavior(1)]),
)
STEPS = st.one_of(
    st.integers(0, 5).map(lambda n: ops.Scale("Deployment", "web", n)),
    HEALTHY.map(lambda t: ops.UpdateTemplate("Deployment", "web", t)),
    st.integers(0, 4).map(lambda i: ops.PodAction("Deployment", "web", i, ops.POD_FAIL)),
    st.integers(0, 4).map(lambda i: ops.PodAction("Deployment", "web", i, ops.POD_DELETE)),
)


def settled_summaries(adapter, operations):
    """The summary after each operation, each followed by a settle (so no step races the last)."""
    out = []
    for op in operations:
        adapter.apply(op)
        result = adapter.settle(90)
        assert result.settled, result.reason
        out.append(summarize(adapter.observe()))
    return out


@settings(
    max_examples=4,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(
    spec=st.builds(
        DeploymentSpec,
        template=HEALTHY,
        replicas=st.integers(1, 4),
        strategy=s.strategies,
        revision_history_limit=st.sampled_from([0, 1, 10]),
    ),
    steps=st.lists(STEPS, min_size=2, max_size=4),
)
def test_simulator_and_real_cluster_settle_alike(factory, spec, steps):
    # Healthy pods only: a stalled rollout's Progressing condition needs its deadline to pass in real time.
    from kubeprops.adapters.simulator import simulator_factory

    operations = [ops.CreateDeployment("web", spec), *steps]
    real = factory(RunContext(run_id="diff"), node_operations=False, wait_for_namespace=False)
    try:
        observed = settled_summaries(real, operations)
    finally:
        real.close()
    simulated = settled_summaries(simulator_factory(RunContext(seed=0)), operations)
    for op, sim_summary, real_summary in zip(operations, simulated, observed, strict=True):
        assert diff(sim_summary, real_summary) == [], op
