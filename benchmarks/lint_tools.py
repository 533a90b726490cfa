"""The two validators ``lint_bench.py`` sets podnotes against, prepared to run offline.

- kubeconform, compiled once from the Go module proxy at ``KUBECONFORM_VERSION``
  into ``~/.cache/podnotes/kubeconform-<version>/bin``;
- its JSON schemas: kubeconform downloads them by default, which an offline
  machine cannot do. The schemas kubernetes-validate ships (the pinned PyPI
  package, generated from the Kubernetes OpenAPI by openapi2jsonschema) are
  rewritten once into kubeconform's "standalone" layout
  (``<kind>-<group>-<version>.json``, every ``$ref`` inside the file) under
  ``~/.cache/podnotes/kubeconform-schemas-<kubernetes-validate version>``. Both
  schema validators therefore check against the very same schemas;
- kubernetes-validate with one compiled validator per kind (its
  ``validate()`` re-reads and recompiles the 5 MB definitions file for every
  document, which no long-running user would accept), run as its own process:
  ``python benchmarks/lint_tools.py kubernetes-validate FILE_OR_DIR...``.

Upstream: https://github.com/yannh/kubeconform (registry.go: schema file names),
https://github.com/willthames/kubernetes-validate (utils.py: ``validate``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

KUBECONFORM_VERSION = "v0.8.0"
CACHE = Path(os.environ.get("PODNOTES_CACHE", Path.home() / ".cache" / "podnotes"))
_REF = re.compile(r"^(?:/api/_definitions\.json)?#/\$defs/(.+)$")


def kubeconform_binary() -> Path:
    """The pinned kubeconform, built with ``go install`` the first time (about 2 minutes)."""
    bin_dir = CACHE / f"kubeconform-{KUBECONFORM_VERSION}" / "bin"
    binary = bin_dir / "kubeconform"
    if not binary.exists():
        bin_dir.mkdir(parents=True, exist_ok=True)
        print(f"building kubeconform {KUBECONFORM_VERSION} from the Go module proxy (once) ...", flush=True)
        env = dict(os.environ, GOBIN=str(bin_dir), GOFLAGS="-mod=mod")
        subprocess.run(["go", "install", f"github.com/yannh/kubeconform/cmd/kubeconform@{KUBECONFORM_VERSION}"],
                       check=True, env=env, cwd="/")
    return binary


def kubernetes_validate_schemas(k8s_version: str) -> Path:
    """The folder of kubernetes-validate's strict schemas for ``k8s_version`` (``1.37.0``)."""
    import importlib.resources

    root = Path(str(importlib.resources.files("kubernetes_validate"))) / "kubernetes-json-schema"
    folder = root / f"v{k8s_version}-local-strict"
    if not folder.is_dir():
        raise SystemExit(f"kubernetes-validate has no schemas for Kubernetes {k8s_version} in {root}")
    return folder


def kubeconform_schemas(k8s_version: str, kinds: list[tuple[str, str]]) -> str:
    """A ``-schema-location`` template for kubeconform whose files hold ``kinds`` ((kind, apiVersion) pairs)."""
    import kubernetes_validate.version

    source = kubernetes_validate_schemas(k8s_version)
    target = CACHE / f"kubeconform-schemas-kv{kubernetes_validate.version.__version__}" / f"v{k8s_version}"
    target.mkdir(parents=True, exist_ok=True)
    definitions = None
    for kind, api_version in kinds:
        name = f"{kind.lower()}{kind_suffix(api_version)}.json"
        if (target / name).exists():
            continue
        if definitions is None:
            definitions = json.loads((source / "_definitions.json").read_text())["$defs"]
        standalone = _standalone(json.loads((source / name).read_text()), definitions)
        (target / f".{name}.tmp").write_text(json.dumps(standalone))
        (target / f".{name}.tmp").rename(target / name)
    return str(target / "{{ .ResourceKind }}{{ .KindSuffix }}.json")


def kind_suffix(api_version: str) -> str:
    """kubeconform's and kubernetes-validate's file-name suffix: ``apps/v1`` -> ``-apps-v1``, ``v1`` -> ``-v1``."""
    group, _, version = api_version.rpartition("/")
    return f"-{group.split('.')[0].lower()}-{version.lower()}" if group else f"-{version.lower()}"


def _standalone(schema: dict, definitions: dict) -> dict:
    """``schema`` with every definition it reaches copied into its own ``$defs`` and the refs made local."""
    reached: dict[str, dict] = {}

    def rewrite(value):
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                match = _REF.match(item) if key == "$ref" and isinstance(item, str) else None
                if match:
                    name = match.group(1)
                    if name not in reached:
                        reached[name] = {}
                        reached[name] = rewrite(definitions[name])
                    out[key] = f"#/$defs/{name}"
                else:
                    out[key] = rewrite(item)
            return out
        if isinstance(value, list):
            return [rewrite(item) for item in value]
        return value

    body = rewrite(schema)
    body.pop("$id", None)  # it names kubernetes.io, against which the refs would resolve
    body["$defs"] = reached
    return body


class CachedKubernetesValidate:
    """kubernetes-validate's ``validate(doc, version, strict=True)``, compiling each kind's validator once."""

    def __init__(self, k8s_version: str):
        import jsonschema
        from referencing import Registry, Resource

        self.folder = kubernetes_validate_schemas(k8s_version)
        self._jsonschema = jsonschema
        definitions = json.loads((self.folder / "_definitions.json").read_text())
        self._registry = Resource.from_contents(definitions) @ Registry()
        self._validators: dict[tuple[str, str], object] = {}

    def errors(self, document: dict) -> str | None:
        """The first schema error of ``document`` as ``path: message``, or None when it validates.

        A kind without a schema is an error too (kubernetes-validate warns and passes it; here it counts).
        """
        kind, api_version = document.get("kind"), document.get("apiVersion")
        if not isinstance(kind, str) or not isinstance(api_version, str):
            return "no kind or apiVersion"
        validator = self._validators.get((kind, api_version))
        if validator is None:
            path = self.folder / f"{kind.lower()}{kind_suffix(api_version)}.json"
            if not path.exists():
                return f"no schema for {api_version} {kind}"
            schema = json.loads(path.read_text())
            validator = self._jsonschema.validators.Draft202012Validator(schema, registry=self._registry)
            self._validators[(kind, api_version)] = validator
        error = self._jsonschema.exceptions.best_match(validator.iter_errors(document))
        return None if error is None else f"{'.'.join(map(str, error.path))}: {error.message}"


def _files(arguments: list[str]) -> list[Path]:
    files: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        files.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    return files


def run_kubernetes_validate(k8s_version: str, arguments: list[str]) -> int:
    """The kubernetes-validate command, with cached validators: exit 1 when any document fails, as it does."""
    import yaml

    validate = CachedKubernetesValidate(k8s_version)
    checked = failed = 0
    for path in _files(arguments):
        for document in yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader):
            if not document:
                continue
            checked += 1
            error = validate.errors(document)
            if error:
                failed += 1
                print(f"ERROR {path}: {error}")
    print(f"{checked} documents, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) < 4 or sys.argv[1] != "kubernetes-validate":
        raise SystemExit("usage: lint_tools.py kubernetes-validate K8S_VERSION FILE_OR_DIR...")
    sys.exit(run_kubernetes_validate(sys.argv[2], sys.argv[3:]))
