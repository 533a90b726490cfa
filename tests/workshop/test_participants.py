"""The participant list: every bad entry is named with its file and line (podnotes.workshop.participants)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from podnotes.workshop.participants import ParticipantError, load, numbered, parse


def test_names_displays_and_namespaces():
    people = parse("# room 2\nalice  Alice Liu\n\nbob\n", "ws", "room.txt")
    assert [(p.name, p.display, p.namespace) for p in people] == [
        ("alice", "Alice Liu", "ws-alice"), ("bob", "bob", "ws-bob")]


@pytest.mark.parametrize("text, where, words", [
    ("alice\nbob\nalice\n", "room.txt:3", "listed twice (first on line 1)"),
    ("alice\nAlice\n", "room.txt:2", "not a valid participant name"),
    ("al_ice\n", "room.txt:1", "not a valid participant name"),
    ("-alice\n", "room.txt:1", "not a valid participant name"),
    ("alice-\n", "room.txt:1", "not a valid participant name"),
    ("9lives\n", "room.txt:1", "not a valid participant name"),
    ("x" * 61 + "\n", "room.txt:1", "at most 60"),
    ("# nobody\n\n", "room.txt", "no participants"),
])
def test_bad_lists_name_file_and_line(text, where, words):
    with pytest.raises(ParticipantError) as caught:
        parse(text, "ws", "room.txt")
    assert str(caught.value).startswith(where + ":") or str(caught.value).startswith(where)
    assert words in str(caught.value)


def test_a_workshop_name_must_fit_namespace_names():
    for bad in ("WS", "ws_1", "a" * 21, ""):
        with pytest.raises(ParticipantError, match="DNS-1123"):
            parse("alice\n", bad)


def test_numbered_room_and_limits():
    assert [p.name for p in numbered(3, "ws")] == ["p01", "p02", "p03"]
    with pytest.raises(ParticipantError, match="more than 200"):
        parse("\n".join(f"p{i}" for i in range(201)), "ws", "big.txt")


def test_files_go_through_the_bounded_reader(tmp_path):
    with pytest.raises(ParticipantError, match="missing.txt"):
        load(str(tmp_path / "missing.txt"), "ws")
    latin = tmp_path / "latin.txt"
    latin.write_bytes(b"alice\nb\xe9a\n")
    with pytest.raises(ParticipantError, match="latin.txt:2: not UTF-8"):
        load(str(latin), "ws")
    with pytest.raises(ParticipantError, match="/dev/zero"):
        load("/dev/zero", "ws")


def test_command_line_exit_code_3_and_no_traceback(tmp_path):
    listed = tmp_path / "room.txt"
    listed.write_text("alice\nbob\nalice\n")
    done = subprocess.run([sys.executable, "-m", "podnotes", "workshop", "up", "ws", "-f", str(listed)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    assert f"{listed}:3: 'alice' is listed twice" in done.stderr
    assert "Traceback" not in done.stderr
    usage = subprocess.run([sys.executable, "-m", "podnotes", "workshop", "up", "ws"],
                           capture_output=True, text=True, timeout=60)
    assert usage.returncode == 4 and "Traceback" not in usage.stderr


def test_offline_folder_has_the_exercise_images_and_checkable_sums(tmp_path):
    """The OCI archive names every image the exercises use, and SHA256SUMS verifies with sha256sum -c."""
    import json
    import shutil
    import tarfile

    from podnotes.workshop import offline

    if not shutil.which("busybox") and not __import__("pathlib").Path("/bin/busybox").exists():
        pytest.skip("busybox-static is not installed")
    listed = tmp_path / "pins.txt"
    listed.write_text("pyyaml==6.0.4\n")
    assert offline.main(["--out", str(tmp_path), "--requirements", str(listed)]) == 0
    assert (tmp_path / "requirements.txt").read_text() == "pyyaml==6.0.4\n"
    with tarfile.open(tmp_path / "images" / "busybox.tar") as tar:
        index = json.load(tar.extractfile("index.json"))
    names = {m["annotations"]["io.containerd.image.name"] for m in index["manifests"]}
    assert offline.exercise_images() and set(offline.exercise_images()) <= names
    checked = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True, text=True)
    assert checked.returncode == 0 and "images/busybox.tar: OK" in checked.stdout
    assert "pip install --no-index --find-links wheels -r requirements.txt podnotes" in \
        (tmp_path / "README.txt").read_text()
