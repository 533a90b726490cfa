"""A kubeconfig for each participant, using a token of their ServiceAccount, and the printable sheets.

The token comes from the TokenRequest API (``POST .../serviceaccounts/participant/token``, authentication.k8s.io/v1,
https://kubernetes.io/docs/reference/kubernetes-api/authentication-resources/token-request-v1/): it is bound to
the account, expires after ``hours`` (12 by default: a workshop day), and stops working as soon as the
account or its namespace is deleted. No Secret is created.

The kubeconfig names its cluster and context as the instructor's kubeconfig does (``kind-NAME`` for a kind
cluster), so the book's cluster guard and ``podnotes`` commands accept it as they accept the instructor's;
the context's namespace is the participant's, so ``kubectl get pods`` works without ``-n``.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

import yaml

from podnotes.cluster import Cluster

from . import records, rest
from .namespace_objects import ACCOUNT
from .participants import Participant

TOKEN_HOURS = 12


def request_token(cluster: Cluster, person: Participant, hours: float = TOKEN_HOURS) -> str:
    """A token for the participant's account, valid ``hours`` (TokenRequest; nothing is stored)."""
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
            "spec": {"expirationSeconds": int(hours * 3600)}}
    answer = rest.request(cluster, "POST", rest.path("v1", "ServiceAccount", person.namespace, ACCOUNT) + "/token",
                          f"requesting a token for {person.namespace}/{ACCOUNT}", body)
    return answer["status"]["token"]


def kubeconfig_text(cluster: Cluster, person: Participant, token: str, server: str | None = None) -> str:
    """The kubeconfig of one participant (YAML text)."""
    target = cluster.connection.target
    entry: dict = {"server": server or target.server}
    if target.credentials and target.credentials.ca_pem:
        entry["certificate-authority-data"] = base64.b64encode(target.credentials.ca_pem).decode()
    elif target.credentials and target.credentials.insecure:
        entry["insecure-skip-tls-verify"] = True
    user = f"{person.namespace}"
    config = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": target.cluster, "cluster": entry}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": target.context, "context": {"cluster": target.cluster, "user": user,
                                                          "namespace": person.namespace}}],
        "current-context": target.context,
    }
    return yaml.safe_dump(config, sort_keys=False)


def kubeconfig_path(workshop: str, person: Participant) -> Path:
    return records.home() / workshop / "kubeconfigs" / f"{person.name}.kubeconfig"


def write_kubeconfig(workshop: str, person: Participant, text: str) -> Path:
    path = kubeconfig_path(workshop, person)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    records.write_atomically(path, text, 0o600)
    return path


def sheet_text(record: records.Record, person: Participant) -> str:
    """What one participant needs on paper: who, where, how to start."""
    file = f"{person.name}.kubeconfig"
    return "\n".join([
        f"podnotes workshop {record.workshop}: {person.display}",
        "",
        f"  your name        {person.name}",
        f"  your namespace   {person.namespace}",
        f"  your kubeconfig  {file} (from the instructor; keep it to yourself)",
        f"  cluster          {record.context} at {record.server}",
        "",
        "Start in a terminal:",
        f"  export KUBECONFIG=$PWD/{file}",
        "  kubectl get pods                      # your namespace is the default",
        "  kubectl describe quota,limits         # what your namespace may use",
        "",
        "or in a notebook of the book:",
        "  from podnotes.workshop import notebook",
        f"  notebook.check(\"{file}\")         # your progress on every exercise",
        "",
    ])


def write_sheets(record: records.Record) -> Path:
    """One text sheet per participant and ``sheets.html``, one page each, for printing. Returns the HTML."""
    folder = record.folder / "sheets"
    folder.mkdir(parents=True, exist_ok=True)
    pages = []
    for person in record.people():
        text = sheet_text(record, person)
        records.write_atomically(folder / f"{person.name}.txt", text)
        pages.append(f'<section class="sheet"><pre>{html.escape(text)}</pre></section>')
    page = ("<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">"
            f"<title>podnotes workshop {html.escape(record.workshop)}: sheets</title>"
            "<style>body{font:14px/1.4 sans-serif;margin:0}.sheet{padding:2em;break-after:page}"
            "pre{font-size:13px;white-space:pre-wrap}</style>" + "\n".join(pages) + "</html>\n")
    path = record.folder / "sheets.html"
    records.write_atomically(path, page)
    return path
