"""The README's worked example: a task and a backbone registered from another installed package
(examples/toolenv-reverse) work with every CLI command."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "toolenv-reverse"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
                    "--target", str(target), str(EXAMPLE)], check=True, capture_output=True)
    return target


def toolenv(site, *args, cwd):
    env = dict(os.environ, PYTHONPATH=f"{site}{os.pathsep}{os.environ.get('PYTHONPATH', '')}", COLUMNS="200")
    cmd = [sys.executable, "-W", "ignore", "-c", "import sys; from toolenv.cli import main; sys.exit(main())", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)


def test_plugin_task_and_backbone_work_with_every_command(site, tmp_path):
    listed = toolenv(site, "list", cwd=tmp_path)
    assert listed.returncode == 0 and "reverse" in listed.stdout and "toolenv/Reverse-v0" in listed.stdout
    played = toolenv(site, "play", "reverse", "--length", "6", cwd=tmp_path)
    assert played.returncode == 0 and "correct" in played.stdout, played.stdout + played.stderr
    trained = toolenv(site, "train", "--task", "reverse", "--max-length", "4", "--backbone", "bigram", "--steps", "3",
                      "--batch-size", "4", "--out", "run", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    evaluated = toolenv(site, "eval", "run", "--lengths", "2,4", "--episodes", "3", "--out", "lb/r.json", cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    assert (tmp_path / "lb" / "r.json").exists()
    board = toolenv(site, "leaderboard", "--dir", "lb", cwd=tmp_path)
    assert board.returncode == 0 and "reverse" in board.stdout and (tmp_path / "lb" / "plots" / "reverse.png").exists()


def test_bad_cli_input_gives_clear_errors_and_nonzero_exit(site, tmp_path):
    r = toolenv(site, "play", "nosuch", cwd=tmp_path)
    assert r.returncode == 2 and "unknown task 'nosuch'" in r.stderr
    r = toolenv(site, "eval", "missing-dir", cwd=tmp_path)
    assert r.returncode == 2 and "config.json: missing" in r.stderr
    r = toolenv(site, "train", "--task", "reverse", "--backbone", "nosuch", "--steps", "1", cwd=tmp_path)
    assert r.returncode == 2 and "unknown backbone 'nosuch'" in r.stderr
    r = toolenv(site, "eval", "x", "--lengths", "0,5", cwd=tmp_path)
    assert r.returncode == 2 and "positive" in r.stderr
