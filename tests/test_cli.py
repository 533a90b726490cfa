from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import podnotes
from podnotes.cli import main


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "podnotes", *args], capture_output=True, text=True, timeout=60)


def test_version_matches_the_package():
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"podnotes {podnotes.__version__}"


def test_help_lists_usage(capsys):
    assert main([]) == 0
    assert "usage: podnotes" in capsys.readouterr().out


def test_console_script_is_installed():
    script_path = Path(sys.executable).parent / "podnotes"
    script = subprocess.run([str(script_path), "--help"], capture_output=True, text=True, timeout=60)
    assert script.returncode == 0
    assert "usage: podnotes" in script.stdout


def test_building_the_cli_imports_no_heavy_library():
    probe = (
        "import sys; from podnotes.cli import build_parser; build_parser(); "
        "heavy = [m for m in ('matplotlib', 'kubernetes', 'numpy', 'nbclient', 'jupytext') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_help_text_covers_every_subcommand_and_nested_actions():
    from podnotes.cli import COMMAND_MODULES, help_text

    assert help_text().startswith("usage: podnotes")
    for command in COMMAND_MODULES:
        assert help_text(command).startswith(f"usage: podnotes {command}")
    if "kind" in COMMAND_MODULES:
        assert "$ podnotes kind up --help" in help_text("kind")


# --- one exit-code scheme for every command ---------------------------------------------------------------

POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n"


def test_exit_codes_are_distinct_and_listed_in_the_help():
    from podnotes.cli import EXIT_CODES, help_text

    codes = [code for code, _ in EXIT_CODES]
    assert len(codes) == len(set(codes)) == 10
    text = " ".join(help_text(width=200).split())
    for code, meaning in EXIT_CODES:
        assert f"{code} {' '.join(meaning.split())}" in text


@pytest.mark.parametrize("argv", [
    ("lint", "-f", "x.yaml", "--no-such-option"),
    ("lint",),
    ("lint", "-f", "x.yaml", "-o", "xml"),
    ("explain", "--bogus"),
    ("explain",),
    ("apply", "--bogus"),
    ("apply",),
    ("delete", "--bogus"),
    ("cleanup", "--bogus"),
    ("cleanup", "--yes", "--dry-run", "--machine-only"),
    ("kind",),
    ("kind", "up", "--bogus"),
    ("kind", "sideways"),
    ("doctor", "--bogus"),
    ("doctor", "-o", "yaml"),
    ("timeline", "--bogus"),
    ("apply", "-f", "pod.yaml", "-o", "json"),  # -o formats the observed timeline: needs --observe
    ("apply", "-f", "pod.yaml", "--observe", "5", "-o", "pdf"),
    ("timeline", "--preset", "exec-liveness", "-o", "pdf"),
    ("timeline", "--preset", "exec-liveness", "--output-file", "t.unknown"),
    ("no-such-command",),
    ("help", "no-such-command"),
])
def test_every_usage_error_exits_4_with_the_commands_own_usage(argv):
    """argparse's own code is 2, which lint uses for "the API server would reject"; podnotes uses 4."""
    result = run_cli(*argv)
    assert result.returncode == 4, (argv, result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    command = "" if argv[0] == "no-such-command" else argv[0]
    assert f"usage: podnotes {command}".strip() in result.stderr, result.stderr


def test_unknown_option_names_the_subcommand_and_suggests_the_option():
    result = run_cli("kind", "up", "--nme", "x")
    assert result.returncode == 4
    assert "usage: podnotes kind up" in result.stderr and "usage: podnotes [-h]" not in result.stderr
    assert "(did you mean --name?)" in result.stderr


def test_misspelt_command_gets_a_suggestion():
    result = run_cli("lnt", "-f", "x.yaml")
    assert result.returncode == 4
    assert "did you mean lint?" in result.stderr


def test_help_command_prints_the_commands_help():
    result = run_cli("help", "lint")
    assert result.returncode == 0 and result.stdout.startswith("usage: podnotes lint")
    nested = run_cli("help", "kind", "up")
    assert nested.returncode == 0 and nested.stdout.startswith("usage: podnotes kind up")
    assert run_cli("help").stdout.startswith("usage: podnotes")
    assert "did you mean lint?" in run_cli("help", "lnt").stderr


def test_apply_and_delete_name_a_missing_file_before_the_kubeconfig(tmp_path):
    for command in ("apply", "delete"):
        result = run_cli(command, "-f", str(tmp_path / "nope.yaml"), "--kubeconfig", str(tmp_path / "none"))
        assert result.returncode == 3, result.stderr
        assert "nope.yaml: cannot open the input: No such file or directory" in result.stderr
        assert "kubeconfig" not in result.stderr


def test_apply_without_a_cluster_exits_5_not_advice_only(tmp_path):
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(POD)
    result = run_cli("apply", "-f", str(manifest), "--kubeconfig", str(tmp_path / "none"))
    assert result.returncode == 5, result.stderr
    assert "no kubeconfig found" in result.stderr


def test_kind_without_kind_exits_5(tmp_path):
    import os

    env = {**os.environ, "PATH": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "podnotes", "kind", "check"], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode == 5 and "kind: not found on PATH" in result.stderr


@pytest.mark.parametrize("argv", [("explain", "pod"), ("explain", "pod", "--recursive"),
                                  ("explain", "pod", "-o", "json"),
                                  ("explain", "deployment", "--recursive", "-o", "json"),
                                  ("lint", "-f", "chapters/manifests/seed-full-template.yaml", "-o", "sarif"),
                                  ("--help",), ("lint", "--help"), ("help", "kind", "up")])
def test_a_reader_that_went_away_ends_quietly_with_141(argv):
    """`podnotes explain pod | head -3`: stdout's reader is gone before the first write; the shell's code for
    SIGPIPE (128 + 13), and no traceback."""
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run([sys.executable, "-m", "podnotes", *argv], stdout=write_end, stderr=subprocess.PIPE,
                                text=True, timeout=60, cwd=Path(__file__).parents[1])
    finally:
        os.close(write_end)
    assert result.returncode == 141, result.stderr
    assert result.stderr == ""


def test_a_reader_that_leaves_in_the_middle_of_a_large_report_ends_it_with_141(tmp_path):
    """`podnotes lint -f many.yaml | head -c 10`: the reader goes away after the first bytes of half a megabyte
    of findings. Python's buffered stdout can return from a partial write to such a pipe without an error; the
    report must still end with 141, never with lint's own "advice only" (1)."""
    manifest = tmp_path / "many.yaml"
    manifest.write_text("---\n".join(f"apiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}}}\nspec:\n  containers:\n"
                                     "  - {name: a, image: nginx}\n" for i in range(1500)))
    reader = subprocess.Popen(["head", "-c", "10"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        result = subprocess.run([sys.executable, "-m", "podnotes", "lint", "-f", str(manifest)], stdout=reader.stdin,
                                stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        reader.stdin.close()
        reader.wait(timeout=30)
    assert result.returncode == 141, result.stderr
    assert "Traceback" not in result.stderr


def test_head_reads_the_first_lines_of_explain():
    result = subprocess.run(f"{sys.executable} -m podnotes explain pod --recursive | head -3", shell=True,
                            capture_output=True, text=True, timeout=60)
    assert len(result.stdout.splitlines()) == 3 and "Traceback" not in result.stderr and result.stderr == ""
