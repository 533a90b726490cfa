"""Set a workshop up: for every participant a namespace, its quota, limit range, account, Role and
RoleBinding, the exercises' seed objects, a token kubeconfig and a sheet.

Every object is sent with server-side apply (field manager ``podnotes``), so running ``up`` again on the
same list is harmless and finishes what an interrupted or failed run left half done: that is how the
cluster is kept consistent after Ctrl-C, SIGTERM or a cluster that went away. The record
(``workshop.json``) says ``setting-up`` until every participant is done, then ``ready``; ``down`` removes
everything in any state.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass

from podnotes.cluster import ApiRejected, Cluster, ClusterError

from . import exercises, kubeconfigs, namespace_objects, records, rest
from .connection import WORKERS, Place
from .participants import Participant

QUOTA_TIMEOUT = 15.0


class SetupError(ClusterError):
    """Set-up stopped; the message says how far it got and what to run next."""


@dataclass
class SetupReport:
    workshop: str
    participants: int
    seconds: float
    folder: str
    sheets: str


def begin(place: Place, cluster: Cluster, workshop: str, people: list[Participant],
          server: str | None = None) -> records.Record:
    """The record of a new (or resumed) workshop, saved before anything is sent to the cluster."""
    existing = records.load(workshop)
    if existing is not None and existing.context != cluster.connection.context:
        raise SetupError(f"workshop {workshop!r} already exists on {existing.context}; this is "
                         f"{cluster.connection.context}", hint=f"choose another name, or `podnotes workshop down "
                                                               f"{workshop}` first")
    if existing is not None:
        known = {entry["name"] for entry in existing.participants}
        people = existing.people() + [person for person in people if person.name not in known]
    record = records.Record(workshop, place.cluster if not place.context else "", cluster.connection.context,
                            place.kubeconfig, server or cluster.connection.server,
                            [vars(person) for person in people], "setting-up", os.getpid())
    record.save()
    return record


def set_up(cluster: Cluster, record: records.Record, only: list[Participant] | None = None,
           token_hours: float = kubeconfigs.TOKEN_HOURS, progress=None) -> SetupReport:
    """Create (or complete) every participant's objects, side by side. Raises ClusterError (the cluster
    refused or went away) or KeyboardInterrupt; the record then still says ``setting-up``."""
    started = time.perf_counter()
    people = only or record.people()
    stop = threading.Event()
    with ThreadPoolExecutor(WORKERS) as pool:
        futures = [pool.submit(_participant, cluster, record, person, token_hours, stop) for person in people]
        try:
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            for future in futures:
                failure = future.exception() if future.done() else None
                if failure is not None:
                    raise failure
                if progress is not None and future.done():
                    progress(future.result())
        except BaseException:
            stop.set()
            for future in futures:
                future.cancel()
            raise
    if only is None:
        record.state = "ready"
    record.save()
    sheets = kubeconfigs.write_sheets(record)
    return SetupReport(record.workshop, len(people), time.perf_counter() - started, str(record.folder),
                       str(sheets))


def _participant(cluster: Cluster, record: records.Record, person: Participant, hours: float,
                 stop: threading.Event) -> Participant:
    objects = [namespace_objects.namespace(record.workshop, person)]
    objects += namespace_objects.namespaced_objects(record.workshop, person)
    for body in objects:
        if stop.is_set():
            raise KeyboardInterrupt
        rest.apply(cluster, body)
    wait_for_quota(cluster, person, stop)
    seed_exercises(cluster, record.workshop, person, stop)
    token = kubeconfigs.request_token(cluster, person, hours)
    kubeconfigs.write_kubeconfig(record.workshop, person,
                                 kubeconfigs.kubeconfig_text(cluster, person, token, record.server))
    return person


def wait_for_quota(cluster: Cluster, person: Participant, stop: threading.Event | None = None,
                   timeout: float = QUOTA_TIMEOUT) -> None:
    """Wait until the resource quota controller (kube-controller-manager) has counted the namespace: until
    then the ResourceQuota admission plugin refuses every Pod ("status unknown for quota", see
    plugin/pkg/admission/resourcequota upstream)."""
    deadline = time.monotonic() + timeout
    while not ((rest.get(cluster, "v1", "ResourceQuota", person.namespace, "workshop") or {}).get("status") or
               {}).get("hard"):
        if stop is not None and stop.is_set():
            raise KeyboardInterrupt
        if time.monotonic() > deadline:
            raise SetupError(f"the ResourceQuota of {person.namespace} has no status {timeout:.0f} s after it was "
                             "made, so the API server refuses every Pod there",
                             hint="is kube-controller-manager running? it counts quotas; then run `podnotes "
                                  "workshop up` again")
        time.sleep(0.1)


def seed_exercises(cluster: Cluster, workshop: str, person: Participant, stop: threading.Event | None = None):
    """Create the exercises' seed objects that are missing from the participant's namespace (a Pod that
    exists is left alone: most of a Pod's spec cannot change)."""
    for seed in exercises.seeds():
        if stop is not None and stop.is_set():
            raise KeyboardInterrupt
        body = {**seed, "metadata": {**seed["metadata"], "namespace": person.namespace,
                                     "labels": {**seed["metadata"].get("labels", {}),
                                                **namespace_objects.labels(workshop, person.name)}}}
        if rest.get(cluster, body["apiVersion"], body["kind"], person.namespace, body["metadata"]["name"]):
            continue
        _apply_when_quota_allows(cluster, body, stop)


def _apply_when_quota_allows(cluster: Cluster, body: dict, stop: threading.Event | None,
                             timeout: float = QUOTA_TIMEOUT) -> None:
    """Apply ``body``; while the quota still counts objects just deleted (the quota controller recounts
    usage shortly after a deletion, e.g. after a reset), wait and try again."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            rest.apply(cluster, body)
            return
        except ApiRejected as err:
            if "exceeded quota" not in err.message or time.monotonic() > deadline:
                raise
        if stop is not None and stop.is_set():
            raise KeyboardInterrupt
        time.sleep(0.2)
