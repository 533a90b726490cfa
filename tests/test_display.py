"""What the package prints for a reader fits the book's code column (COLUMNS
characters) and a terminal: wrapped text and dataclasses as small tables."""

from __future__ import annotations

from dataclasses import dataclass

from IPython.lib.pretty import pretty

from podnotes.display import COLUMNS, FieldTable, clip, field_table, wrap
from podnotes.linux.chroot import EscapeResult
from podnotes.linux.processes import ProcInfo

LINT_LINE = ("manifests/seed-full-template.fixed.yaml:12:1: info [pod-security-level] Pod Security level met: "
             "baseline; not restricted: " + "containers must set securityContext.seccompProfile.type; " * 6)


def test_wrap_keeps_short_lines_and_wraps_long_ones_with_a_hanging_indent():
    text = "short line\n" + LINT_LINE + "\n    indented " + "word " * 40
    lines = wrap(text).splitlines()
    assert lines[0] == "short line"
    assert max(map(len, lines)) <= COLUMNS
    assert lines[1].startswith("manifests/seed-full-template.fixed.yaml:12:1: info")
    assert lines[2].startswith("    ") and not lines[2].startswith("     ")
    indented = [line for line in lines if "indented" in line][0]
    assert indented.startswith("    indented") and lines[-1].startswith("        word")
    assert " ".join(wrap(LINT_LINE).split()) == " ".join(LINT_LINE.split()), "no word lost"


def test_a_word_longer_than_the_line_is_broken():
    path = "/tmp/" + "x" * 200
    assert max(map(len, wrap(path, 40).splitlines())) <= 40


@dataclass(frozen=True)
class Sample(FieldTable):
    name: str
    entries: list[str]
    seconds: float
    note: str


def test_a_dataclass_is_shown_as_a_table_and_keeps_its_repr():
    sample = Sample("web", ["bin", "etc"] * 30, 0.357845856, "x " * 100)
    table = field_table(sample)
    assert table.splitlines()[:2] == ["Sample", "  name     'web'"]
    assert "  seconds  0.357846" in table
    assert max(map(len, table.splitlines())) <= COLUMNS
    assert str(sample) == table
    assert pretty(sample).splitlines()[0] == "Sample"
    assert max(map(len, pretty((sample, sample)).splitlines())) <= COLUMNS
    assert repr(sample).startswith("Sample(name='web', entries=['bin'")


def test_the_escape_does_not_list_the_building_machines_root():
    host_root = ["bin", "boot", "etc", "home", "secret-project", "usr", "var", "work"]
    escape = EscapeResult(["bin", "dev", "etc"], False, host_root, True)
    shown = pretty(escape)
    assert "secret-project" not in shown and "work" not in shown
    assert "8 entries, among them bin, etc, usr, var" in shown
    pivoted = EscapeResult(["bin", "dev"], False, ["bin", "dev"], False)
    assert "the same as confined_root" in str(pivoted)


def test_a_process_shows_its_command_line_as_a_shell_would():
    assert "cmdline  sleep 'a b'" in str(ProcInfo(10, 1, "sleep", "S", 0, ("sleep", "a b")))


def test_clip_cuts_wide_lines_visibly():
    table = "short\n" + "    lo: " + "0 " * 60
    clipped = clip(table, 40).splitlines()
    assert clipped[0] == "short" and len(clipped[1]) == 40 and clipped[1].endswith("...")


def test_an_interpreter_path_is_shown_as_python():
    from podnotes.display import short_command

    assert short_command("/work/main/.venv/bin/python -m podnotes.linux.pause") == "python -m podnotes.linux.pause"
    assert short_command("/usr/bin/python3.11 -m podnotes.linux.launcher view") == \
        "python -m podnotes.linux.launcher view"
    assert short_command("sleep 3600") == "sleep 3600"
    assert short_command("/bin/sh -c /opt/python") == "/bin/sh -c /opt/python", "only a leading interpreter"


def test_a_machine_listing_is_shown_as_a_count_and_familiar_names():
    from podnotes.display import among_them

    entries = [".dockerenv", "bin", "container_info.json", "etc", "farm", "usr", "var"]
    assert among_them(entries, ("bin", "etc", "usr", "var")) == "7 entries, among them bin, etc, usr, var"
    assert among_them(["eth7"], ("lo",), "interfaces") == "1 interfaces"


def _view(**changes):
    from podnotes.linux.namespaces import Interface, View

    values = dict(pid=1, ppid=0, pids=[1], commands={"1": "/srv/venv/bin/python -m podnotes.linux.pause"},
                  hostname="build-host-7",
                  interfaces=[Interface("lo", True, "127.0.0.1"), Interface("ifb0", False, None),
                              Interface("eth0", True, "192.0.2.2")],
                  mounts=[], uid=0, gid=0, namespaces={}, root_entries=[".dockerenv", "bin", "etc", "farm", "usr"],
                  sysv_queues=[])
    return View(**{**values, **changes})


def test_a_view_names_what_it_shares_with_the_host_without_the_hosts_own_names():
    host = _view(pid=4242, pids=list(range(1, 90)), is_host=True)
    for text in (host.describe(), _view().describe(host)):
        for detail in ("build-host-7", "ifb0", "192.0.2.2", ".dockerenv", "farm", "{", "["):
            assert detail not in text
        assert "host name: the host's" in text and "the host's 3 interfaces, among them lo, eth0" in text
        assert "root directory: the host's, 5 entries, among them bin, etc, usr" in text
        assert max(map(len, text.splitlines())) <= COLUMNS
    assert host.describe().splitlines()[0] == "PID 4242, sees 89 processes in /proc"
    own = _view(hostname="box", interfaces=[], root_entries=["bin", "www"]).describe(host)
    assert "host name: box" in own and "interfaces: (none)" in own and "2 entries: bin, www" in own
    assert _view().shown_commands() == {"1": "python -m podnotes.linux.pause"}


def test_manifest_yaml_shows_scripts_as_literal_blocks_and_round_trips():
    import yaml

    from podnotes.display import manifest_yaml

    manifest = {"kind": "Pod", "spec": {"containers": [{"command": ["sh", "-c", "echo one\necho two\n"]}]}}
    text = manifest_yaml(manifest)
    assert "- |\n      echo one\n      echo two\n" in text
    assert text.index("kind") < text.index("spec"), "the manifest's own key order"
    assert yaml.safe_load(text) == manifest
