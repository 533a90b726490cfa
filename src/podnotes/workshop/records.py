"""What a workshop keeps on the instructor's machine, and the recorded allow-list of contexts.

A workshop ``NAME`` lives in ``$PODNOTES_WORKSHOP_HOME/NAME/`` (default
``$XDG_DATA_HOME/podnotes/workshops/NAME``, i.e. ``~/.local/share/...``):

- ``workshop.json``: the record: cluster context, participants, state
  (``setting-up`` while ``up`` runs or after it was interrupted, ``ready``
  when it finished), the process that ran ``up``;
- ``kubeconfigs/PARTICIPANT.kubeconfig`` (mode 0600) and ``sheets/``: one
  printable sheet per participant and ``sheets.html`` with them all;
- ``board.html``: the last progress board ``check`` wrote.

The allow-list (``$PODNOTES_CONFIG_HOME/workshop-contexts.json``, default
``~/.config/podnotes/``) names, one entry each with who added it and when,
the kubeconfig contexts that are not local kind clusters but that the
instructor allowed by name for workshops. Without an entry the loopback guard
of :mod:`podnotes.cluster.connect` applies as for every other command.
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .participants import Participant

RECORD = "workshop.json"


def home() -> Path:
    configured = os.environ.get("PODNOTES_WORKSHOP_HOME")
    if configured:
        return Path(configured)
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "podnotes" / "workshops"


def config_home() -> Path:
    configured = os.environ.get("PODNOTES_CONFIG_HOME")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")) / "podnotes"


@dataclass
class Record:
    """One workshop as recorded on the instructor's machine."""

    workshop: str
    cluster: str  # the kind cluster name (context kind-NAME), or "" with an allowed context
    context: str
    kubeconfig: str | None  # the instructor's kubeconfig, as given (None: the default search)
    server: str  # the API server address written into the participants' kubeconfigs
    participants: list[dict] = field(default_factory=list)  # Participant fields
    state: str = "setting-up"
    pid: int = 0
    updated: float = 0.0

    @property
    def folder(self) -> Path:
        return home() / self.workshop

    def people(self) -> list[Participant]:
        return [Participant(**entry) for entry in self.participants]

    def save(self) -> None:
        self.updated = time.time()
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomically(self.folder / RECORD, json.dumps(asdict(self), indent=2) + "\n")


def load(workshop: str) -> Record | None:
    path = home() / workshop / RECORD
    try:
        return Record(**json.loads(path.read_text()))
    except FileNotFoundError:
        return None
    except (ValueError, TypeError) as err:
        raise RecordError(f"{path}: not a workshop record ({err}); `podnotes workshop down {workshop} --cluster "
                          "NAME` still removes the workshop from the cluster") from None


def remove(workshop: str) -> None:
    shutil.rmtree(home() / workshop, ignore_errors=True)


def recorded() -> list[str]:
    folder = home()
    return sorted(entry.name for entry in folder.iterdir() if (entry / RECORD).exists()) if folder.is_dir() else []


class RecordError(RuntimeError):
    """A record or allow-list file that cannot be read."""


def write_atomically(path: Path, text: str, mode: int = 0o644) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename, so a reader (a browser refreshing
    the board) or an interrupt never sees half a file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# --- the allow-list ---------------------------------------------------------------------------------
def allow_list_path() -> Path:
    return config_home() / "workshop-contexts.json"


def allowed_contexts() -> dict[str, dict]:
    """The allow-list: context name -> {"by": user, "at": ISO time, "reason": text}."""
    path = allow_list_path()
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except ValueError as err:
        raise RecordError(f"{path}: not JSON ({err}); remove it and allow the contexts again") from None
    if not isinstance(data, dict):
        raise RecordError(f"{path}: expected an object of context names")
    return data


def allow(context: str, reason: str = "") -> dict:
    entries = allowed_contexts()
    entries[context] = {"by": getpass.getuser(), "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        "reason": reason}
    allow_list_path().parent.mkdir(parents=True, exist_ok=True)
    write_atomically(allow_list_path(), json.dumps(entries, indent=2, sort_keys=True) + "\n", 0o600)
    return entries[context]


def disallow(context: str) -> bool:
    entries = allowed_contexts()
    if context not in entries:
        return False
    del entries[context]
    write_atomically(allow_list_path(), json.dumps(entries, indent=2, sort_keys=True) + "\n", 0o600)
    return True
