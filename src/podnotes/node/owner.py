"""Who runs a local node: the owner record in its work folder, and whether that owner still lives.

Every :class:`podnotes.node.LocalNode` writes ``owner.json`` into its work folder (``/tmp/podnotes-node-*``)
before it creates anything::

    {"pid": 4242, "start_ticks": 913377, "boot_id": "6b1f...", "bridge": "pnnode0", "subnet": "10.217.0.0/24"}

``pid`` and ``start_ticks`` (field 22 of ``/proc/PID/stat``, ``starttime``, in clock ticks since boot; see
proc(5)) name the Python process that runs the node, ``boot_id`` (``/proc/sys/kernel/random/boot_id``) the
boot it ran in: together they tell a live owner from a dead one whose PID was reused, or one from before a
reboot. ``bridge`` and ``subnet`` are the node's Pod network (``PODNOTES_NODE_BRIDGE`` /
``PODNOTES_NODE_SUBNET``), so a later run knows which bridge was that node's.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

OWNER_FILE = "owner.json"
WORKDIR_PREFIX = "podnotes-node-"
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


class OwnerRecordError(ValueError):
    """An owner file that cannot be read: the message names the file and the field."""


@dataclass(frozen=True)
class NodeOwner:
    """The process that runs a local node (``pid``, ``start_ticks``) in boot ``boot_id``, and its Pod network."""

    pid: int
    start_ticks: int
    boot_id: str
    bridge: str
    subnet: str

    def alive(self) -> bool:
        """The owner still runs: same boot, and the process with that PID started at the recorded tick."""
        return self.boot_id == current_boot_id() and process_start_ticks(self.pid) == self.start_ticks

    def describe(self) -> str:
        return f"PID {self.pid}, bridge {self.bridge}"


def current_boot_id() -> str:
    try:
        return BOOT_ID.read_text().strip()
    except OSError:
        return ""


def process_start_ticks(pid: int) -> int | None:
    """Field 22 (``starttime``) of ``/proc/PID/stat``, or None when there is no such process (or a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces or ')': split after the last ')'.
    fields = stat.rsplit(")", 1)[-1].split()
    if len(fields) < 20 or fields[0] == "Z":
        return None
    return int(fields[19])


def this_process(bridge: str, subnet: str) -> NodeOwner:
    pid = os.getpid()
    ticks = process_start_ticks(pid)
    assert ticks is not None  # this process exists
    return NodeOwner(pid, ticks, current_boot_id(), bridge, subnet)


def write_owner(workdir: Path, owner: NodeOwner) -> Path:
    path = workdir / OWNER_FILE
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(asdict(owner)))
    partial.replace(path)  # a reader never sees half a record
    return path


def parse_owner(text: str, source: str = OWNER_FILE) -> NodeOwner:
    """The owner in the text of an owner file; raises :class:`OwnerRecordError` naming ``source`` and the
    field when the text is not such a record."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise OwnerRecordError(f"{source}:{err.lineno}:{err.colno}: not JSON ({err.msg})") from None
    if not isinstance(data, dict):
        raise OwnerRecordError(f"{source}: expected an object, found {type(data).__name__}")
    values: dict[str, Any] = {}
    for name, kind in (("pid", int), ("start_ticks", int), ("boot_id", str), ("bridge", str), ("subnet", str)):
        if name not in data:
            raise OwnerRecordError(f"{source}: field {name} is missing")
        value = data[name]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise OwnerRecordError(f"{source}: field {name} must be {kind.__name__}, found {value!r}")
        values[name] = value
    if values["pid"] <= 0 or values["start_ticks"] < 0:
        raise OwnerRecordError(f"{source}: field pid must be positive and start_ticks not negative")
    return NodeOwner(**values)


def read_owner(workdir: Path) -> NodeOwner | None:
    """The owner recorded in ``workdir``; None when there is no owner file (a node from before owner records,
    or one that is still creating its folder). Raises :class:`OwnerRecordError` for an unreadable record."""
    path = workdir / OWNER_FILE
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise OwnerRecordError(f"{path}: {err.strerror}") from None
    return parse_owner(text, str(path))
