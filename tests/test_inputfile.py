"""The one bounded reader: byte cap that never trusts st_size, deadlines for pipes, clear errors."""

from __future__ import annotations

import io
import os
import threading
import time

import pytest

from podnotes.inputfile import Budget, InputError, files_under, read_bytes, read_stream, shown

SMALL = Budget(limit=1024, timeout=0.3)


def test_a_regular_file_is_read_whole(tmp_path):
    path = tmp_path / "pod.yaml"
    path.write_bytes(b"kind: Pod\n")
    assert read_bytes(path) == b"kind: Pod\n"


def test_a_file_whose_size_the_kernel_does_not_know_is_read_up_to_the_cap():
    """/proc files report st_size 0; /dev/zero reports 0 and never ends."""
    assert os.stat("/proc/self/status").st_size == 0
    assert b"Name:" in read_bytes("/proc/self/status")
    started = time.monotonic()
    with pytest.raises(InputError) as refused:
        read_bytes("/dev/zero", SMALL)
    assert refused.value.too_large and "more than 1,024 bytes" in str(refused.value)
    assert time.monotonic() - started < 1


def test_a_file_larger_than_the_cap_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.yaml"
    with path.open("wb") as handle:
        handle.truncate(10 * 1024 * 1024 * 1024)  # 10 GiB of holes: reading it would take long
    started = time.monotonic()
    with pytest.raises(InputError, match="the input is 10,737,418,240 bytes"):
        read_bytes(path)
    assert time.monotonic() - started < 0.5


def test_a_fifo_without_a_writer_ends_at_the_deadline(tmp_path):
    fifo = tmp_path / "f"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(InputError, match=r"no end of input within 0.3 s"):
        read_bytes(fifo, SMALL)
    assert 0.25 < time.monotonic() - started < 2


def test_a_fifo_whose_writer_finishes_is_read(tmp_path):
    fifo = tmp_path / "f"
    os.mkfifo(fifo)

    def write():
        with open(fifo, "wb") as handle:
            handle.write(b"kind: Pod\n")

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert read_bytes(fifo, Budget(limit=1024, timeout=5)) == b"kind: Pod\n"
    finally:
        writer.join(5)


def test_streams_without_a_descriptor_are_capped_too():
    assert read_stream(io.BytesIO(b"a: 1\n"), "<bytes>") == b"a: 1\n"
    assert read_stream(io.StringIO("a: é\n"), "<text>") == "a: é\n".encode()
    with pytest.raises(InputError, match="<big>: the input is more than 1,024 bytes"):
        read_stream(io.BytesIO(b"x" * 2000), "<big>", SMALL)


@pytest.mark.parametrize("make, message", [
    (lambda tmp: tmp, "is a folder"),
    (lambda tmp: tmp / "missing.yaml", "cannot open the input: No such file or directory"),
    (lambda tmp: tmp / ("n" * 5000), "the name is longer than this system allows"),
])
def test_what_cannot_be_read_says_why(tmp_path, make, message):
    with pytest.raises(InputError, match=message) as refused:
        read_bytes(make(tmp_path))
    assert len(str(refused.value)) < 600, "a 5,000-character name is shortened in the message"


def test_a_socket_is_refused(tmp_path):
    import socket

    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "s"))
    try:
        with pytest.raises(InputError, match="a socket or a device without a driver"):
            read_bytes(tmp_path / "s")
    finally:
        server.close()


def test_files_under_a_folder_skip_links_to_folders_and_report_what_cannot_be_listed(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "pod.yaml").write_text("kind: Pod\n")
    (tmp_path / "a" / "notes.txt").write_text("x")
    (tmp_path / "loop").symlink_to(tmp_path)
    found, problems = files_under(tmp_path, (".yaml",))
    assert found == [tmp_path / "a" / "pod.yaml"] and problems == []


def test_long_paths_are_shown_cut_in_the_middle():
    text = shown("/tmp/" + "x" * 5000)
    assert len(text) < 200 and text.startswith("/tmp/x") and text.endswith("(5,005 characters)")
