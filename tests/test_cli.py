from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
