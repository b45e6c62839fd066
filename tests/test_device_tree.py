"""scripts/device_tree.sh: tracked folders set aside for a device call come back exactly as committed,
and nothing is set aside that could be lost (uncommitted changes, a staged index)."""

import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "device_tree.sh"
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def sh(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=repo, capture_output=True, text=True, check=check)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    sh(tmp_path, "git", "init", "-q")
    sh(tmp_path, "git", "config", "user.email", "t@example.com")
    sh(tmp_path, "git", "config", "user.name", "t")
    (tmp_path / "scripts").mkdir()
    shutil.copy(SCRIPT, tmp_path / "scripts" / "device_tree.sh")
    (tmp_path / "checkpoints" / "m").mkdir(parents=True)
    (tmp_path / "checkpoints" / "m" / "model.safetensors").write_bytes(bytes(range(256)) * 4000)
    (tmp_path / "README.md").write_text("x\n")
    sh(tmp_path, "git", "add", "-A")
    sh(tmp_path, "git", "commit", "-q", "-m", "init")
    return tmp_path


def tree(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return sh(repo, "bash", "scripts/device_tree.sh", *args, check=check)


def test_hide_leaves_the_folder_out_of_what_travels_and_restore_brings_it_back_as_committed(repo):
    before = tree(repo, "size").stdout
    assert "tracked 1.0 MB" in before  # 1,024,000 bytes of weights and a few of scripts
    (repo / "big").mkdir()
    (repo / "big" / "w").write_bytes(b"0" * 70_000_000)
    assert "over the limit" in tree(repo, "size", "big").stdout  # 71 MB with a carried folder of 70
    shutil.rmtree(repo / "big")
    tree(repo, "hide", "checkpoints")
    assert "checkpoints/" not in sh(repo, "git", "ls-files").stdout
    assert not (repo / "checkpoints").exists()
    assert "tracked 0.0 MB" in tree(repo, "size").stdout and "fits" in tree(repo, "size").stdout
    assert "untracked 0.0 MB" in tree(repo, "size").stdout  # the held copy is ignored: it does not travel
    assert "checkpoints" in tree(repo, "status").stdout
    tree(repo, "restore")
    assert (repo / "checkpoints" / "m" / "model.safetensors").read_bytes() == bytes(range(256)) * 4000
    assert sh(repo, "git", "status", "--porcelain").stdout == ""
    assert "nothing held" in tree(repo, "status").stdout


def test_hide_refuses_what_could_be_lost(repo):
    (repo / "checkpoints" / "m" / "model.safetensors").write_bytes(b"changed")
    r = tree(repo, "hide", "checkpoints", check=False)
    assert r.returncode != 0 and "uncommitted changes" in r.stderr
    sh(repo, "git", "checkout", "--", "checkpoints")
    (repo / "README.md").write_text("y\n")
    sh(repo, "git", "add", "README.md")
    r = tree(repo, "hide", "checkpoints", check=False)
    assert r.returncode != 0 and "staged" in r.stderr
    assert "checkpoints/m/model.safetensors" in sh(repo, "git", "ls-files").stdout
    sh(repo, "git", "reset", "-q")
    r = tree(repo, "hide", "nothing-here", check=False)
    assert r.returncode != 0 and "no tracked file" in r.stderr


def test_restore_warns_when_a_commit_came_between(repo):
    tree(repo, "hide", "checkpoints")
    sh(repo, "git", "commit", "-q", "-m", "oops")  # records the deletion
    r = tree(repo, "restore")
    assert "HEAD moved" in r.stderr
    assert (repo / "checkpoints" / "m" / "model.safetensors").exists()  # the files are back on disk
