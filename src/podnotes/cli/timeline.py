"""``podnotes timeline``: what will the kubelet do to this Pod, second by second?"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from podnotes.cli import EXIT_OUTPUT_ERROR, CommandError

FORMATS = ("png", "svg", "json")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "timeline",
        help="simulate a Pod's probes, restarts and readiness and draw or export the timeline",
        description="Simulate what the kubelet does to a Pod (probes, kills, restarts with back-off, readiness, "
                    "phase) given how its programs behave, and write the timeline as PNG, SVG or JSON. "
                    "The format follows the output file's suffix; '-o -' writes JSON to stdout.",
    )
    parser.add_argument("-f", "--filename", metavar="FILE|-",
                        help="the Pod manifest (default: the preset's own manifest)")
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
    parser.add_argument("-o", "--output", metavar="FILE", help="timeline.png, timeline.svg, timeline.json or -")
    parser.add_argument("--list-presets", action="store_true", help="list the presets and exit")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from podnotes.probes import PRESETS

    if args.list_presets:
        for name, chosen in PRESETS.items():
            print(f"{name:24} {chosen.summary}")
        return 0
    if not args.output:
        raise CommandError("-o FILE is required (timeline.png, timeline.svg, timeline.json, or - for JSON)")
    fmt = "json" if args.output == "-" else Path(args.output).suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise CommandError(f"-o {args.output}: the file name must end in .png, .svg or .json")
    timeline = _simulate(args)
    if fmt == "json":
        text = timeline.to_json() + "\n"
        if args.output == "-":
            sys.stdout.write(text)
        else:
            _write(Path(args.output), text.encode())
        return 0
    import matplotlib

    matplotlib.use("Agg")
    from podnotes import plot

    _write(Path(args.output), plot.render(plot.timeline(timeline), fmt))
    return 0


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
            raise CommandError(str(err), 3) from None
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
        raise CommandError(str(err), 2) from None
    except BehaviourError as err:
        # A behaviour read from a file names its file and line in the message already.
        raise CommandError(str(err) if behaviour.source else f"the behaviour: {err}", 3) from None
    except ValueError as err:
        raise CommandError(str(err)) from None


def _load_pod(filename: str):
    from podnotes.manifest import load

    documents = load(filename if filename == "-" else Path(filename))
    if not documents:
        raise CommandError(f"{filename}: no Pod found (the file is empty)", 3)
    for document in documents:
        if document.error is not None:
            where = f"{document.file}:{document.error.line}" if document.error.line else document.file
            raise CommandError(f"{where}: {document.error.message}", 3)
    pods = [d for d in documents if d.kind == "Pod"]
    if not pods:
        kinds = ", ".join(sorted({str(d.kind) for d in documents})) or "nothing"
        raise CommandError(f"{filename}: no Pod found (found {kinds})", 3)
    return pods[0]


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
        if args.feature_gates:
            gates = {**config.feature_gates, **parse_feature_gates(args.feature_gates)}
            config = replace(config, feature_gates=gates)
    except KubeletConfigError as err:
        raise CommandError(str(err)) from None
    return config
