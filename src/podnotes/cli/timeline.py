"""``podnotes timeline``: what will the kubelet do to this Pod, second by second?"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from podnotes.cli import EXIT_BAD_INPUT, EXIT_OUTPUT_ERROR, EXIT_REJECTED, CommandError, write_stdout

FORMATS = ("events", "json", "yaml", "png", "svg")
SUFFIXES = {".txt": "events", ".json": "json", ".yaml": "yaml", ".yml": "yaml", ".png": "png", ".svg": "svg"}
BEHAVIOUR_HELP = """\
behaviour files (--behaviour FILE, YAML or JSON; checked against the JSON Schema
podnotes/probes/behaviour.schema.json, shown on the site's "Behaviour files" page):
  containers:
    app:                          # a container of the Pod (init, sidecar or regular)
      exitAfter: 45               # seconds after each start; omit to run until stopped
      exitCode: 1
      sigterm: exit               # or ignore (sh as PID 1)
      probes:
        liveness:                 # startup, liveness or readiness: a probe the container declares
          answers: [[0, 200], [10, 500]]   # from second 0 HTTP 200, from 10 s 500
          delays: [[0, 0], [60, 5]]        # answer delay; at or past timeoutSeconds a timeout
  deleteAt: 60                    # optional: kubectl delete at this second
  deleteGracePeriodSeconds: 5     # optional: kubectl delete --grace-period=5 (0: --force)
  finalizersRemovedAt: 90         # optional: when the Pod's finalizers are removed
answers: httpGet an HTTP status (or {status, body}; null = connection refused), tcpSocket
true/false, exec an exit code, grpc SERVING/NOT_SERVING/UNKNOWN. A probe given no answers
is assumed to succeed, and the output says so.

output: -o events (default: kubectl describe pod's Events and the RESTARTS count), json,
yaml, png or svg; --output-file FILE writes to FILE, its suffix choosing the format when -o
is not given (-o FILE.png and -o - for JSON on stdout still work)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "timeline",
        help="simulate a Pod's probes, restarts and readiness and draw or export the timeline",
        description=textwrap.fill(
            "Simulate what the kubelet does to a Pod (probes, kills, restarts with back-off, readiness, phase) "
            "given how its programs behave, and print its Events as kubectl describe pod does, or write the "
            "timeline as JSON, YAML, PNG or SVG.", 78),
        epilog=BEHAVIOUR_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-f", "--filename", metavar="FILE|-",
                        help="the Pod manifest, or a Deployment, ReplicaSet, StatefulSet, DaemonSet, Job or CronJob "
                             "whose Pod template is simulated (default: the preset's own manifest)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--preset", metavar="NAME", help="a built-in behaviour (see --list-presets)")
    source.add_argument("--behaviour", "--behavior", metavar="FILE", dest="behaviour",
                        help="a YAML or JSON file saying how the containers behave, checked against the JSON "
                             "Schema podnotes/probes/behaviour.schema.json")
    parser.add_argument("--duration", type=float, default=None, metavar="SECONDS",
                        help="how long to simulate (default 300, or the preset's own)")
    parser.add_argument("--tick-phase", type=float, default=None, metavar="SECONDS",
                        help="when the probe tickers fire, after start + initialDelaySeconds (default 0)")
    parser.add_argument("--kubelet-config", metavar="FILE",
                        help="a KubeletConfiguration file: its featureGates and crashLoopBackOff are applied")
    parser.add_argument("--feature-gates", metavar="NAME=BOOL,...",
                        help="kubelet feature gates, as the kubelet's flag takes them (over --kubelet-config)")
    parser.add_argument("-o", "--output", metavar="FORMAT", default=None,
                        help="events (default), json, yaml, png or svg")
    parser.add_argument("--output-file", metavar="FILE",
                        help="write to FILE instead of stdout; its suffix (.txt .json .yaml .png .svg) gives the "
                             "format when -o is not given")
    parser.add_argument("--list-presets", action="store_true", help="list the presets and exit")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from podnotes.probes import PRESETS

    if args.list_presets:
        for name, chosen in PRESETS.items():
            print(f"{name:24} {chosen.summary}")
        return 0
    fmt, target = output_choice(args.output, args.output_file)
    if fmt in ("png", "svg") and target is None and sys.stdout.isatty():
        raise CommandError(f"-o {fmt} writes an image: give --output-file FILE.{fmt}, or redirect stdout")
    timeline = _simulate(args)
    for note in timeline.notes:
        print(f"podnotes timeline: note: {note}", file=sys.stderr)
    write_output(None if target is None else Path(target), render(timeline, fmt))
    return 0


def write_output(path: Path | None, data: str | bytes) -> None:
    """Rendered output to ``path``, or to stdout when it is None."""
    if path is not None:
        _write(path, data if isinstance(data, bytes) else data.encode())
    else:
        write_stdout(data)


def output_choice(output: str | None, output_file: str | None) -> tuple[str, str | None]:
    """(format, file or None for stdout) from ``-o`` and ``--output-file``.

    ``-o`` is a format, as kubectl's is; ``--output-file``'s suffix gives the
    format when ``-o`` is absent. The older ``-o FILE.png`` (a value with a
    known suffix that is no format name) and ``-o -`` (JSON on stdout) keep working.
    """
    if output == "-":
        return "json", output_file
    if output is not None and output not in FORMATS:
        suffix = Path(output).suffix.lower()
        if suffix in SUFFIXES and output_file is None:
            return SUFFIXES[suffix], output
        raise CommandError(f"-o {output}: unknown output format; choose one of {', '.join(FORMATS)} "
                           "(and --output-file FILE to write a file)")
    if output is None and output_file is not None:
        suffix = Path(output_file).suffix.lower()
        if suffix not in SUFFIXES:
            raise CommandError(f"--output-file {output_file}: say the format with -o ({', '.join(FORMATS)}), "
                               f"or end the name in {', '.join(SUFFIXES)}")
        return SUFFIXES[suffix], output_file
    return output or "events", output_file


def render(timeline, fmt: str) -> str | bytes:
    """The timeline in one output format; matplotlib is imported only for a figure."""
    if fmt == "events":
        from podnotes.probes.events import describe_text

        return describe_text(timeline)
    if fmt == "json":
        return timeline.to_json() + "\n"
    if fmt == "yaml":
        import yaml

        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
        return yaml.dump(timeline.to_dict(), Dumper=dumper, sort_keys=False, allow_unicode=True)
    import matplotlib

    matplotlib.use("Agg")
    from podnotes import plot

    return plot.render(plot.timeline(timeline), fmt)


def _simulate(args: argparse.Namespace):
    from dataclasses import replace

    from podnotes.probes import Behaviour, BehaviourError, InvalidPod, load_behaviour, preset, simulate
    from podnotes.probes.simulator import check_duration

    chosen = None
    if args.preset:
        try:
            chosen = preset(args.preset)
        except KeyError as err:
            raise CommandError(err.args[0]) from None
    if args.filename:
        pod = _load_pod(args.filename)
    elif chosen is not None:
        pod = chosen.pod()
    else:
        raise CommandError("give the Pod with -f FILE, or a --preset (which brings its own manifest)")
    if args.behaviour:
        try:
            behaviour = load_behaviour(args.behaviour)
        except BehaviourError as err:
            raise CommandError(str(err), EXIT_BAD_INPUT) from None
    else:
        behaviour = chosen.behaviour if chosen else Behaviour()
    if args.tick_phase is not None:
        behaviour = replace(behaviour, tick_phase=args.tick_phase)
    duration = args.duration if args.duration is not None else (chosen.duration if chosen else 300.0)
    try:
        check_duration(duration)
    except ValueError as err:
        raise CommandError(f"--duration: {err}") from None
    try:
        return simulate(pod, behaviour, duration, kubelet=_kubelet_config(args))
    except InvalidPod as err:
        raise CommandError(str(err), EXIT_REJECTED) from None
    except BehaviourError as err:
        raise CommandError(_behaviour_problem(err, behaviour, args), EXIT_BAD_INPUT) from None
    except ValueError as err:  # the simulation would pass its bounds (events, containers)
        raise CommandError(str(err), EXIT_BAD_INPUT) from None


def _load_pod(filename: str):
    """The first Pod or Pod template of the file, read one document at a time (the others are counted and
    dropped, so memory stays flat in the number of documents); any unreadable document is an error."""
    from podnotes.lint.schema import KINDS
    from podnotes.manifest import iter_load

    first, found, documents = None, 0, 0
    kinds: set[str] = set()
    for document in iter_load(filename if filename == "-" else Path(filename)):
        documents += 1
        if document.error is not None:
            where = f"{document.file}:{document.error.line}" if document.error.line else document.file
            raise CommandError(f"{where}: {document.error.message}", 3)
        if document.kind in KINDS:
            found += 1
            first = first or document
        elif len(kinds) < 20:
            kinds.add(str(document.kind))
    if not documents:
        raise CommandError(f"{filename}: no Pod found (the file is empty)", 3)
    if first is None:
        by_case = {kind.lower(): kind for kind in KINDS}
        miscased = sorted({by_case[kind.lower()] for kind in kinds if kind.lower() in by_case})
        hint = (f"; kinds are case-sensitive: write kind: {', '.join(miscased)}, as the API server only knows "
                "that spelling" if miscased else "")
        raise CommandError(f"{filename}: no Pod or Pod template found (found {', '.join(sorted(kinds))}; the "
                           f"timeline takes {', '.join(KINDS)}){hint}", 3)
    if found > 1:
        print(f"podnotes timeline: note: {filename} holds {found} Pods and Pod templates; simulating the "
              f"first, {first.kind} {_name(first)}", file=sys.stderr)
    return first


def _name(document) -> str:
    data = document.to_python()
    return str(((data or {}).get("metadata") or {}).get("name", "?"))

def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as err:
        raise CommandError(f"cannot write {path}: {err.strerror or err}", EXIT_OUTPUT_ERROR) from None


def _kubelet_config(args: argparse.Namespace):
    from dataclasses import replace

    from podnotes.probes import KubeletConfig, KubeletConfigError, load_kubelet_config
    from podnotes.probes.kubelet import parse_feature_gates

    try:
        config = load_kubelet_config(args.kubelet_config) if args.kubelet_config else KubeletConfig()
    except KubeletConfigError as err:
        raise CommandError(str(err), EXIT_BAD_INPUT) from None
    if args.feature_gates:
        try:
            gates = {**config.feature_gates, **parse_feature_gates(args.feature_gates)}
            config = replace(config, feature_gates=gates)
        except KubeletConfigError as err:
            raise CommandError(f"--feature-gates: {err}") from None
    return config


def _behaviour_problem(err, behaviour, args: argparse.Namespace) -> str:
    """The message of a behaviour that does not fit the Pod, led by where the behaviour came from
    (its file, unless the message names the file and line already, or the preset)."""
    message = str(err)
    if behaviour.source is not None:
        return message if message.startswith(behaviour.source.file) else f"{behaviour.source.file}: {message}"
    return f"--preset {args.preset}: {message}" if args.preset else f"the behaviour: {message}"
