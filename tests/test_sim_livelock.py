"""The simulator's loop detector: a store content that keeps coming back at one instant is a loop; an
object recreated while the cluster makes progress is not."""

import random

from kubeprops.adapters.simulator.clock import Clock
from kubeprops.adapters.simulator.livelock import REPEATS, LoopDetector
from kubeprops.adapters.simulator.store import Store


def pod(name: str, **labels: str) -> dict:
    return {"metadata": {"name": name, "labels": labels}, "spec": {"containers": [{"name": "c"}]}}


def recreate(store: Store, name: str, **labels: str) -> None:
    store.create("Pod", pod(name, **labels))
    store.remove("Pod", name)


def watching() -> tuple[Store, LoopDetector]:
    store = Store(Clock(), random.Random(0))
    store.create("Pod", pod("other"))
    detector = LoopDetector(store)
    detector.attach()
    return store, detector


def test_the_same_content_recreated_again_and_again_is_a_loop():
    store, detector = watching()
    for _ in range(REPEATS + 1):
        recreate(store, "db-0")  # a new uid each time: the content is what repeats
        assert not detector.looping
    store.create("Pod", pod("db-0"))
    assert detector.looping


def test_recreations_that_change_the_cluster_are_progress():
    store, detector = watching()
    for i in range(3 * REPEATS):
        store.create("Pod", pod(f"done-{i}"))  # something changes for good each round
        recreate(store, "db-0")
    assert not detector.looping


def test_recreations_with_other_content_are_progress():
    store, detector = watching()
    for i in range(3 * REPEATS):
        recreate(store, "db-0", revision=str(i))
    assert not detector.looping


def test_detach_stops_watching_and_attach_starts_afresh():
    store, detector = watching()
    for _ in range(REPEATS + 1):
        recreate(store, "db-0")
    detector.detach()
    store.create("Pod", pod("db-0"))
    assert not detector.looping
    store.remove("Pod", "db-0")
    detector.attach()
    for _ in range(REPEATS - 1):
        recreate(store, "db-0")
    assert not detector.looping
