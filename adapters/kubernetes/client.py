"""A thin JSON client over the official `kubernetes` package: raw dicts in and out.

The adapter works on the API's own JSON (camelCase, as `kube_objects` expects), so it goes through
`ApiClient.call_api` with plain paths instead of the generated typed models. HTTP 422 becomes
`InvalidSpec` naming the first field the API server complained about. Watches (`Api.watch`) are
streams of JSON lines, one event each; `watch_cache` keeps the run's namespace from them.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from kubernetes import client, config
from kubernetes.client.rest import ApiException
from kubernetes.watch.watch import iter_resp_lines
from urllib3.exceptions import HTTPError

from kubeprops.scenario.errors import InvalidSpec

Obj = dict[str, Any]
LOCAL_CONTEXT = "kubeprops-local"  # the context `kubeprops cluster up` writes
TIMEOUT = 30.0  # seconds for one request; a hung apiserver is an infrastructure error, not a hang
WATCH_SECONDS = 60  # the server ends a watch after this (timeoutSeconds); it is renewed from its last version
WATCH_READ_TIMEOUT = WATCH_SECONDS + 15.0  # a watch silent for longer (not even a bookmark) is broken
POOL_SIZE = 32  # kept-alive connections: a dozen long watches per adapter plus the ordinary requests

# Where each kind lives: (group path prefix, plural). Namespaced unless listed in CLUSTER_SCOPED.
RESOURCES = {
    "Deployment": ("/apis/apps/v1", "deployments"),
    "ReplicaSet": ("/apis/apps/v1", "replicasets"),
    "DaemonSet": ("/apis/apps/v1", "daemonsets"),
    "StatefulSet": ("/apis/apps/v1", "statefulsets"),
    "ControllerRevision": ("/apis/apps/v1", "controllerrevisions"),
    "Job": ("/apis/batch/v1", "jobs"),
    "CronJob": ("/apis/batch/v1", "cronjobs"),
    "Pod": ("/api/v1", "pods"),
    "PersistentVolumeClaim": ("/api/v1", "persistentvolumeclaims"),
    "PersistentVolume": ("/api/v1", "persistentvolumes"),
    "Namespace": ("/api/v1", "namespaces"),
    "Node": ("/api/v1", "nodes"),
    "Lease": ("/apis/coordination.k8s.io/v1", "leases"),
}
CLUSTER_SCOPED = {"Namespace", "Node", "PersistentVolume"}


class ConfigError(ValueError):
    """The kubeconfig or context cannot be used; the message names the option to fix."""


class NotFound(Exception):
    pass


class Conflict(Exception):
    pass


class Gone(Exception):
    """HTTP 410: a watch's resourceVersion is older than the server keeps; LIST again."""


def load_api_client(kubeconfig: str | Path | None, context: str | None) -> client.ApiClient:
    """An ApiClient for `context` (default: the kubeconfig's current one), refusing foreign contexts.

    Without an explicit --context only kind clusters (`kind-*`) and the local control plane are
    accepted, so a default kubeconfig pointing at production is never touched by accident.
    """
    path = str(kubeconfig) if kubeconfig else None
    if path is not None and not Path(path).is_file():
        raise ConfigError(f"--kubeconfig {path}: no such file; pass the path `kubeprops cluster up` printed")
    try:
        contexts, current = config.list_kube_config_contexts(config_file=path)
    except (config.ConfigException, OSError, ValueError) as err:
        raise ConfigError(f"--kubeconfig {path}: not a usable kubeconfig ({err})") from None
    names = [c["name"] for c in contexts or ()]
    chosen = context or (current or {}).get("name", "")
    if chosen not in names:
        raise ConfigError(f"--context {chosen!r}: not in the kubeconfig; choose from {', '.join(names)}")
    if context is None and not (chosen.startswith("kind-") or chosen == LOCAL_CONTEXT):
        raise ConfigError(
            f"--context: the current context {chosen!r} is neither a kind cluster nor the local control "
            "plane; name it explicitly with --context if kubeprops may create namespaces and nodes there"
        )
    configuration = type.__call__(client.Configuration)  # a fresh one, not a copy of the global default
    configuration.connection_pool_maxsize = POOL_SIZE
    try:
        return config.new_client_from_config(
            config_file=path, context=chosen, persist_config=False, client_configuration=configuration
        )
    except (config.ConfigException, OSError, ValueError) as err:
        raise ConfigError(f"--context {chosen!r}: cannot build a client ({err})") from None


def server_version(kubeconfig: str | Path | None = None, context: str | None = None, **_: object) -> str:
    """The API server's gitVersion ("v1.35.4"), through the same context guard as the adapter."""
    api_client = load_api_client(kubeconfig, context)
    try:
        return client.VersionApi(api_client).get_code().git_version
    except (ApiException, HTTPError, OSError) as err:  # unreachable, TLS trouble: name the options
        raise ConfigError(f"--kubeconfig/--context: cannot read the server version ({err})") from None
    finally:
        api_client.close()


def path_of(kind: str, namespace: str = "", name: str = "", sub: str = "") -> str:
    prefix, plural = RESOURCES[kind]
    parts = [prefix]
    if kind not in CLUSTER_SCOPED and namespace:
        parts.append(f"namespaces/{namespace}")
    parts.append(plural)
    if name:
        parts.append(name)
    if sub:
        parts.append(sub)
    return "/".join(parts)


class WatchStream:
    """The events of one watch request (dicts with `type` and `object`), in the server's order; `close`
    may be called from another thread and ends a read that is waiting."""

    def __init__(self, response: Any) -> None:
        self.response = response

    def __iter__(self) -> Iterator[Obj]:
        try:
            for line in iter_resp_lines(self.response):
                if not line:
                    continue
                event = json.loads(line)
                if event.get("type") == "ERROR":
                    status = event.get("object") or {}
                    if status.get("code") == 410:
                        raise Gone(status.get("message", ""))
                    raise RuntimeError(f"watch error: {status.get('message', status)}")
                yield event
        finally:
            self.response.close()

    def close(self) -> None:
        # shutdown() unblocks the reading thread; the connection is closed there (above), never reused
        with contextlib.suppress(Exception):
            self.response.shutdown()


class Api:
    """GET/LIST/CREATE/UPDATE/PATCH/DELETE on raw JSON objects, and WATCH.

    `on_write` callbacks get (kind, object) after each successful write that returns the object, so a
    cache can tell when it has seen our own writes.
    """

    def __init__(self, api_client: client.ApiClient) -> None:
        self.api_client = api_client
        self.on_write: list[Callable[[str, Obj], None]] = []

    def _request(
        self,
        method: str,
        path: str,
        body: object = None,
        query: Mapping[str, str] | None = None,
        content_type: str = "application/json",
        timeout: float | tuple[float, float] = TIMEOUT,
    ) -> Any:
        try:
            return self.api_client.call_api(
                path,
                method,
                query_params=list((query or {}).items()),
                header_params={"Accept": "application/json", "Content-Type": content_type},
                body=body,
                auth_settings=["BearerToken"],
                _preload_content=False,
                _return_http_data_only=True,
                _request_timeout=timeout,
            )
        except ApiException as err:
            raise translate(err) from None

    def call(
        self,
        method: str,
        path: str,
        body: object = None,
        query: Mapping[str, str] | None = None,
        content_type: str = "application/json",
    ) -> Obj:
        return json.loads(self._request(method, path, body, query, content_type).data or b"{}")

    def list_versioned(self, kind: str, namespace: str = "", selector: str = "") -> tuple[list[Obj], str]:
        """The items and the list's resourceVersion, from which a watch continues."""
        query = {"labelSelector": selector} if selector else None
        result = self.call("GET", path_of(kind, namespace), query=query)
        return result.get("items") or [], (result.get("metadata") or {}).get("resourceVersion", "")

    def watch(self, kind: str, namespace: str, selector: str, resource_version: str) -> WatchStream:
        """The changes after `resource_version`, with bookmarks; the server ends it after WATCH_SECONDS."""
        query = {
            "watch": "true",
            "resourceVersion": resource_version,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": str(WATCH_SECONDS),
        }
        if selector:
            query["labelSelector"] = selector
        response = self._request(
            "GET", path_of(kind, namespace), query=query, timeout=(TIMEOUT, WATCH_READ_TIMEOUT)
        )
        return WatchStream(response)

    def _wrote(self, kind: str, obj: Obj) -> Obj:
        if obj.get("kind") not in (None, "Status") and (obj.get("metadata") or {}).get("name"):
            for callback in self.on_write:
                callback(kind, obj)
        return obj

    def get(self, kind: str, namespace: str, name: str) -> Obj | None:
        try:
            return self.call("GET", path_of(kind, namespace, name))
        except NotFound:
            return None

    def list(self, kind: str, namespace: str = "", selector: str = "") -> list[Obj]:
        query = {"labelSelector": selector} if selector else None
        return self.call("GET", path_of(kind, namespace), query=query).get("items") or []

    def create(self, kind: str, namespace: str, body: Obj) -> Obj:
        return self._wrote(kind, self.call("POST", path_of(kind, namespace), body))

    def update(self, kind: str, namespace: str, body: Obj, sub: str = "") -> Obj:
        return self._wrote(
            kind, self.call("PUT", path_of(kind, namespace, body["metadata"]["name"], sub), body)
        )

    def merge_patch(self, kind: str, namespace: str, name: str, patch: Obj, sub: str = "") -> Obj:
        path = path_of(kind, namespace, name, sub)
        return self._wrote(kind, self.call("PATCH", path, patch, content_type="application/merge-patch+json"))

    def delete(self, kind: str, namespace: str, name: str, **options: object) -> None:
        body = {"apiVersion": "v1", "kind": "DeleteOptions", **options}
        with contextlib.suppress(NotFound):
            result = self.call("DELETE", path_of(kind, namespace, name), body)
            if name:  # a collection's deletion answers with a list
                self._wrote(kind, result)

    def close(self) -> None:
        self.api_client.close()


def translate(err: ApiException) -> Exception:
    """HTTP errors the adapter handles: 404, 409 and 422 (an invalid spec, naming its first field)."""
    if err.status == 404:
        return NotFound(err.reason)
    if err.status == 409:
        return Conflict(err.reason)
    if err.status == 410:
        return Gone(err.reason)
    if err.status == 422:
        try:
            status = json.loads(err.body or "{}")
        except ValueError:
            status = {}
        causes = (status.get("details") or {}).get("causes") or [{}]
        return InvalidSpec(
            causes[0].get("field", "spec"), causes[0].get("message", status.get("message", ""))
        )
    return err
