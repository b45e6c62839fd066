"""scripts/leases/graph-kernels.sh pack: what a device call brings back through $OUT. Every call brings
the board and logs; weights come back for every run, or with PACK_ONLY=unfinished only for runs a later
machine must finish (training unfinished: the trainer state; scoring unfinished: a `.partial-` entry, or no
entry yet)."""

import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "leases" / "graph-kernels.sh"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def _run(tmp_path: Path, name: str, step: int, state: bool = False) -> None:
    d = tmp_path / "runs" / "paper" / name
    d.mkdir(parents=True)
    (d / "config.json").write_text(json.dumps({"step": step, "train_config": {"steps": 100}}))
    (d / "model.safetensors").write_bytes(b"w" * 1000)
    (d / "train_log.json").write_text("{}")
    if state:
        (d / "trainer_state.pt").write_bytes(b"s")


def _pack(tmp_path: Path, pack_only: str | None, **limits: str) -> set[str]:
    """The files of every run whose weights came back (small models' archive and large ones' own)."""
    out = tmp_path / "out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PACK_")} | {"OUT": str(out)} | limits
    if pack_only:
        env["PACK_ONLY"] = pack_only
    subprocess.run(["bash", str(SCRIPT), "pack"], cwd=tmp_path, env=env, capture_output=True, check=True)
    assert (out / "paper.tgz").exists()
    names = set()
    for archive in out.glob("ckpt-*.tgz"):
        with tarfile.open(archive) as t:
            names |= set(t.getnames())
    return names


@pytest.fixture
def lease(tmp_path: Path) -> Path:
    (tmp_path / "runs" / "paper" / "board").mkdir(parents=True)
    _run(tmp_path, "done-s0", 100)
    _run(tmp_path, "scoring-s1", 100)
    _run(tmp_path, "training-s2", 50, state=True)
    _run(tmp_path, "resumable-done-s3", 100, state=True)
    _run(tmp_path, "unscored-s4", 100)  # trained, its first length still playing: no entry yet
    board = tmp_path / "runs" / "paper" / "board"
    (board / "done-s0.json").write_text("[]")
    (board / "resumable-done-s3.json").write_text("[]")
    (board / "scoring-s1.json.partial-gru-small-s1-interactive.json").write_text("[]")
    return tmp_path


def test_unfinished_brings_the_weights_a_later_machine_needs_and_no_others(lease):
    got = _pack(lease, "unfinished")
    assert got == {
        "runs/paper/scoring-s1/config.json", "runs/paper/scoring-s1/model.safetensors",
        "runs/paper/scoring-s1/train_log.json",
        # training unfinished: the trainer state, which holds the weights and the step to resume from
        "runs/paper/training-s2/config.json", "runs/paper/training-s2/trainer_state.pt",
        "runs/paper/training-s2/train_log.json",
        # trained, scoring begun but no length written yet (session 38 lost such a run's weights)
        "runs/paper/unscored-s4/config.json", "runs/paper/unscored-s4/model.safetensors",
        "runs/paper/unscored-s4/train_log.json",
    }


def test_by_default_every_runs_weights_come_back(lease):
    runs = {Path(n).parts[2] for n in _pack(lease, None)}
    assert runs == {"done-s0", "scoring-s1", "training-s2", "resumable-done-s3", "unscored-s4"}


def test_none_brings_the_board_and_no_weights(lease):
    assert _pack(lease, "none") == set()


def test_one_run_named_whole_brings_its_weights(lease):
    assert {Path(n).parts[2] for n in _pack(lease, "scoring-s1")} == {"scoring-s1"}


def test_under_the_size_limit_a_trained_runs_weights_come_before_a_trainer_state(tmp_path):
    # session 39: a Transformer's 35 MB trainer state (its name sorted first) filled the 64 MiB and a trained GRU,
    # which the CPU box could have scored, stayed on the machine
    (tmp_path / "runs" / "paper" / "board").mkdir(parents=True)
    _run(tmp_path, "a-training-s0", 50, state=True)
    _run(tmp_path, "b-trained-s1", 100)
    for name, file in (("a-training-s0", "trainer_state.pt"), ("a-training-s0", "model.safetensors"),
                       ("b-trained-s1", "model.safetensors")):
        (tmp_path / "runs" / "paper" / name / file).write_bytes(os.urandom(2_100_000))  # large: packed alone
    room_for_one = {"PACK_MAX_BYTES": "3000000"}
    assert {Path(n).parts[2] for n in _pack(tmp_path, "unfinished", **room_for_one)} == {"b-trained-s1"}
    # the next call brings the trainer state, and not the trained run again
    assert {Path(n).parts[2] for n in _pack(tmp_path, "unfinished")} == {"a-training-s0"}
