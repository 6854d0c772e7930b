"""The Kubernetes adapter's watch cache against a scripted fake API: no cluster needed.

Each kind's watches are scripted as a list of streams; a stream is a list of events, `GONE` (the server's
410) or `BROKEN` (a dropped connection). Once a kind's script is used up its next watch blocks until it
is closed, as a quiet real watch does.
"""

import json
import threading
import time

import pytest

from kubeprops.adapters.kubernetes import pod_status as ps
from kubeprops.adapters.kubernetes import settle as st
from kubeprops.adapters.kubernetes import watch_cache as wc
from kubeprops.adapters.kubernetes.client import Gone, WatchStream

GONE, BROKEN = "gone", "broken"
NS = "kp-test"


def obj(name, rv, ns=NS, **labels):
    return {"metadata": {"name": name, "namespace": ns, "resourceVersion": str(rv), "labels": labels}}


def event(type_, o):
    return {"type": type_, "object": o}


class FakeStream:
    def __init__(self, script):
        self.script = script
        self.closed = threading.Event()

    def __iter__(self):
        if self.script is None:  # a quiet watch: nothing until closed
            self.closed.wait()
            raise ConnectionError("closed")
        for item in self.script:
            if item == GONE:
                raise Gone("too old resource version")
            if item == BROKEN:
                raise ConnectionError("connection reset")
            yield item

    def close(self):
        self.closed.set()


class FakeApi:
    def __init__(self, lists, watches):
        self.lists = {kind: list(answers) for kind, answers in lists.items()}  # kind -> [(items, rv)]
        self.watches = {kind: list(streams) for kind, streams in watches.items()}
        self.on_write = []
        self.calls = []
        self.streams = []
        self.lock = threading.Lock()

    def list_versioned(self, kind, namespace="", selector=""):
        with self.lock:
            self.calls.append(("list", kind, namespace, selector))
            answers = self.lists[kind]
            return answers.pop(0) if len(answers) > 1 else answers[0]

    def watch(self, kind, namespace, selector, resource_version):
        with self.lock:
            self.calls.append(("watch", kind, resource_version))
            scripts = self.watches.get(kind) or []
            stream = FakeStream(scripts.pop(0) if scripts else None)
            self.streams.append(stream)
            return stream

    def watched_from(self, kind):
        with self.lock:
            return [c[2] for c in self.calls if c[:2] == ("watch", kind)]

    def listed(self, kind):
        with self.lock:
            return sum(c[:2] == ("list", kind) for c in self.calls)


def eventually(check, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


@pytest.fixture
def started():
    caches = []

    def start(lists, watches, kinds=("Pod",), cluster=None):
        api = FakeApi(lists, watches)
        cache = wc.WatchCache(api, NS, kinds, cluster)
        cache.start()
        caches.append(cache)
        return api, cache

    yield start
    for cache in caches:
        cache.close()


def names(cache, kind="Pod"):
    return sorted(o["metadata"]["name"] for o in cache.read().objects[kind])


def test_lists_then_watches_from_the_lists_resource_version(started):
    api, cache = started({"Pod": [([obj("a", 5)], "7")]}, {})
    assert names(cache) == ["a"]
    eventually(lambda: api.watched_from("Pod") == ["7"])


def test_events_are_applied_and_counted(started):
    script = [
        event("ADDED", obj("b", 8)),
        event("MODIFIED", obj("a", 9)),
        event("DELETED", obj("b", 10)),
        event("BOOKMARK", {"metadata": {"resourceVersion": "12"}}),
    ]
    api, cache = started({"Pod": [([obj("a", 5)], "7")]}, {"Pod": [script]})
    # the scripted stream ends (the server's timeoutSeconds): watched again from the bookmark, no LIST
    eventually(lambda: api.watched_from("Pod") == ["7", "12"])
    after = cache.read()
    assert names(cache) == ["a"]
    assert cache.get("Pod", "a")["metadata"]["resourceVersion"] == "9"
    assert after.changes == 1 + 3  # the first list, then three events; the bookmark is no change
    assert api.listed("Pod") == 1


def test_410_gone_lists_again_and_continues_from_the_new_list(started):
    lists = {"Pod": [([obj("a", 5), obj("b", 6)], "7"), ([obj("a", 20)], "21")]}
    api, cache = started(lists, {"Pod": [[event("ADDED", obj("c", 8)), GONE]]})
    eventually(lambda: api.watched_from("Pod") == ["7", "21"])
    assert names(cache) == ["a"]  # b and c went while the watch was too old: the new list has neither
    assert cache.get("Pod", "a")["metadata"]["resourceVersion"] == "20"
    assert api.listed("Pod") == 2 and cache.relists == 2


def test_a_broken_stream_lists_again(started, monkeypatch):
    monkeypatch.setattr(wc, "RETRY", 0.01)
    lists = {"Pod": [([], "7"), ([obj("a", 30)], "31")]}
    api, cache = started(lists, {"Pod": [[BROKEN]]})
    eventually(lambda: api.watched_from("Pod") == ["7", "31"])
    assert names(cache) == ["a"] and cache.errors == 1


def test_a_relist_with_nothing_new_is_no_change(started):
    lists = {"Pod": [([obj("a", 5)], "7"), ([obj("a", 5)], "9")]}
    api, cache = started(lists, {"Pod": [[GONE]]})
    changes = cache.read().changes
    eventually(lambda: api.watched_from("Pod") == ["7", "9"])
    assert cache.read().changes == changes


def test_cluster_kinds_wake_waiters_but_are_no_change_of_the_namespace(started):
    node = obj("n1", 3, ns=None, run="r")
    watches = {
        "Node": [[event("MODIFIED", {**node, "metadata": {**node["metadata"], "resourceVersion": "4"}})]]
    }
    lists = {"Pod": [([], "1")], "Node": [([node], "3")]}
    api, cache = started(lists, watches, cluster={"Node": "run=r"})
    eventually(lambda: cache.get("Node", "n1")["metadata"]["resourceVersion"] == "4")
    reading = cache.read()
    assert reading.version >= 1 and reading.changes == 0
    assert ("list", "Node", "", "run=r") in api.calls


def test_wait_returns_on_an_event_or_at_its_timeout(started):
    _, cache = started({"Pod": [([], "1")]}, {})
    seen = cache.read().version
    t0 = time.monotonic()
    cache.wait(seen, 0.2)
    assert time.monotonic() - t0 >= 0.19
    threading.Timer(0.05, cache.poke).start()
    t0 = time.monotonic()
    cache.wait(seen, 5.0)
    assert time.monotonic() - t0 < 2.0


def test_close_ends_open_watches_and_joins_the_threads(started):
    api, cache = started({"Pod": [([], "1")], "Job": [([], "1")]}, {}, kinds=("Pod", "Job"))
    eventually(lambda: len(api.streams) == 2)
    cache.close()
    assert all(s.closed.is_set() for s in api.streams)
    assert not cache._threads and not [t for t in threading.enumerate() if t.name.startswith("watch-")]
    assert cache.expect not in api.on_write


def test_caught_up_waits_for_the_event_of_our_own_write():
    release = threading.Event()

    class Late(FakeStream):
        def __iter__(self):
            release.wait()
            yield event("MODIFIED", obj("a", 6))
            yield from super().__iter__()

    api = FakeApi({"Pod": [([obj("a", 5)], "5")]}, {})
    api.watch = lambda *args: Late(None)
    cache = wc.WatchCache(api, NS, ("Pod",))
    cache.start()
    try:
        for callback in api.on_write:
            callback("Pod", obj("a", 6))  # what Api does with the answer of a write
        threading.Timer(0.2, release.set).start()
        t0 = time.monotonic()
        assert cache.caught_up()
        assert time.monotonic() - t0 >= 0.15
        assert cache.get("Pod", "a")["metadata"]["resourceVersion"] == "6"
    finally:
        release.set()
        cache.close()


def test_a_write_whose_event_came_first_or_of_another_namespace_is_not_awaited(started):
    script = [event("MODIFIED", obj("a", 6)), event("MODIFIED", obj("a", 7))]
    _, cache = started({"Pod": [([obj("a", 5)], "5")]}, {"Pod": [script]})
    eventually(lambda: cache.get("Pod", "a")["metadata"]["resourceVersion"] == "7")
    cache.expect("Pod", obj("a", 6))  # the answer came after its event and one more
    cache.expect("Pod", obj("x", 99, ns="elsewhere"))
    cache.expect("Lease", obj("n", 1))  # not watched
    assert not cache.expected
    t0 = time.monotonic()
    assert cache.caught_up() and time.monotonic() - t0 < 0.5


def test_a_write_with_no_event_is_given_up(started, monkeypatch):
    monkeypatch.setattr(wc, "EXPECT_TIMEOUT", 0.2)
    _, cache = started({"Pod": [([obj("a", 5)], "5")]}, {})
    cache.expect("Pod", obj("a", 8))
    assert not cache.caught_up()
    assert not cache.expected


def test_deletion_satisfies_the_expectation():
    api = FakeApi({"Pod": [([obj("a", 5)], "5")]}, {})
    cache = wc.WatchCache(api, NS, ("Pod",))
    cache.stores["Pod"]["a"] = obj("a", 5)
    cache.expect("Pod", obj("a", 6))
    cache._apply("Pod", event("DELETED", obj("a", 7)))
    assert not cache.expected and cache.get("Pod", "a") is None


def test_selector_matching():
    assert wc.matches(obj("n", 1, run="r", zone="a"), "run=r")
    assert not wc.matches(obj("n", 1, run="s"), "run=r")
    assert wc.matches(obj("n", 1), "")


# ---------------------------------------------------------------- the HTTP stream and the timers


class FakeResponse:
    def __init__(self, chunks):
        self.chunks = chunks
        self.closed = False

    def stream(self, amt=None, decode_content=False):
        yield from self.chunks

    def close(self):
        self.closed = True


def test_watch_stream_splits_lines_across_chunks_and_raises_gone_on_410():
    lines = [json.dumps(event("ADDED", obj("a", 1))), json.dumps({"type": "ERROR", "object": {"code": 410}})]
    text = ("\n".join(lines) + "\n").encode()
    response = FakeResponse([text[:10], text[10:50], text[50:]])
    stream = WatchStream(response)
    seen = []
    with pytest.raises(Gone):
        for e in stream:
            seen.append(e)
    assert [e["object"]["metadata"]["name"] for e in seen] == ["a"]
    assert response.closed


def test_next_due_is_the_ready_delay_or_the_grace_periods_end():
    now = 1000.0
    running = {
        "metadata": {"name": "p", "annotations": {"kubeprops.io/ready-after": "5"}},
        "status": {"phase": "Running", "startTime": ps.stamp(now - 2)},
    }
    assert ps.next_due(running, now, started=now - 2) == now + 3
    assert ps.next_due(running, now + 10, started=now - 2) is None  # already due: played at once
    deleting = {"metadata": {"name": "p", "deletionTimestamp": ps.stamp(now + 30)}, "status": {}}
    assert ps.next_due(deleting, now, None) == now + 30
    pending = {"metadata": {"name": "p"}, "status": {"phase": "Pending"}}
    assert ps.next_due(pending, now, None) is None


def test_next_timer_is_when_a_ready_pod_turns_available():
    now = 1000.0
    ready = {"type": "Ready", "status": "True", "lastTransitionTime": ps.stamp(now - 1)}
    snapshot = {
        "ReplicaSet": [{"metadata": {"name": "rs"}, "spec": {"minReadySeconds": 4}}],
        "Pod": [{"metadata": {"name": "p"}, "status": {"conditions": [ready]}}],
    }
    assert st.next_timer(snapshot, now) == now + 3
    assert st.next_timer(snapshot, now + 5) is None
    assert st.next_timer({**snapshot, "ReplicaSet": [{"metadata": {"name": "rs"}, "spec": {}}]}, now) is None


class FakeApiClient:
    def __init__(self, answer):
        self.answer = answer
        self.requests = []

    def call_api(self, path, method, query_params, **kwargs):
        self.requests.append((method, path, dict(query_params), kwargs["_request_timeout"]))
        return type("Response", (), {"data": json.dumps(self.answer).encode()})()


def test_api_reports_written_objects_but_not_statuses_and_asks_watches_with_bookmarks():
    from kubeprops.adapters.kubernetes.client import WATCH_SECONDS, Api

    written = []
    api = Api(FakeApiClient({"kind": "Pod", **obj("a", 3)}))
    api.on_write.append(lambda kind, o: written.append((kind, o["metadata"]["resourceVersion"])))
    api.create("Pod", NS, obj("a", 0))
    api.api_client.answer = {"kind": "Status", "status": "Success"}
    api.delete("Pod", NS, "a")
    assert written == [("Pod", "3")]
    api.watch("Pod", NS, "run=r", "42")
    method, path, query, timeout = api.api_client.requests[-1]
    assert (method, path) == ("GET", f"/api/v1/namespaces/{NS}/pods")
    assert query == {
        "watch": "true",
        "resourceVersion": "42",
        "allowWatchBookmarks": "true",
        "timeoutSeconds": str(WATCH_SECONDS),
        "labelSelector": "run=r",
    }
    assert timeout[1] > WATCH_SECONDS  # the client gives up only after the server should have ended it
