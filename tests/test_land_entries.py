"""scripts/land_entries.py: what a device call brought back is unpacked, and every finished entry of
its board reaches the committed leaderboard folder unless a newer one is there; nothing else is
copied, malformed entries are named, and archives cannot write outside the checkout."""

import importlib.util
import io
import json
import os
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "land_entries.py"
spec = importlib.util.spec_from_file_location("land_entries", SCRIPT)
land_entries = importlib.util.module_from_spec(spec)
spec.loader.exec_module(land_entries)

TEMPLATE = json.loads((ROOT / "leaderboards" / "paper" / "addition-gru-s0.json").read_text())


def entry(date: str, name: str = "gru-small-s0") -> bytes:
    item = {**TEMPLATE[0], "date": date, "agent": {**TEMPLATE[0]["agent"], "name": name}}
    return json.dumps([item]).encode()


def tgz(files: dict[str, bytes], mtime: float = 1_000_000.0) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), mtime
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def run(argv, monkeypatch) -> int:
    monkeypatch.setattr(sys, "argv", ["land_entries.py", *map(str, argv)])
    try:
        land_entries.main()
    except SystemExit as e:
        return e.code
    return 0


@pytest.fixture
def checkout(tmp_path):
    landed = tmp_path / "repo" / "leaderboards" / "paper"
    landed.mkdir(parents=True)
    (landed / "a.json").write_bytes(entry("2026-12-01T00:00:00+00:00"))  # the same in the lease's board
    (landed / "c.json").write_bytes(entry("2026-12-03T00:00:00+00:00"))  # newer than the lease's copy
    return tmp_path / "repo"


def test_new_and_newer_entries_land_and_nothing_else(checkout, tmp_path, monkeypatch, capsys):
    board = "runs/paper/board/"
    calls = tmp_path / "device"
    calls.mkdir()
    (calls / "paper.tgz").write_bytes(tgz({
        board + "a.json": entry("2026-12-01T00:00:00+00:00"),
        board + "b.json": entry("2026-12-04T00:00:00+00:00", "gru-small-s1"),
        board + "c.json": entry("2026-12-02T00:00:00+00:00"),
        board + "d.json.partial-gru-small-s0-interactive.json": b"{}",  # scoring of d.json unfinished
        board + "b.json.partial-gru-small-s1-interactive.json": b"{}",  # b.json finished after it
        "runs/paper/lstm.log": b"step 1500/1500\n",
    }))
    weights = os.urandom(3000)
    archive = tgz({"runs/paper/run-s0/model.safetensors": weights})
    (calls / "ckpt-run-s0.tgz.part-aa").write_bytes(archive[:1000])
    (calls / "ckpt-run-s0.tgz.part-ab").write_bytes(archive[1000:])

    assert run([calls, "--root", checkout], monkeypatch) == 0
    landed = checkout / "leaderboards" / "paper"
    assert sorted(p.name for p in landed.iterdir()) == ["a.json", "b.json", "c.json"]
    assert (landed / "b.json").read_bytes() == (checkout / board / "b.json").read_bytes()
    assert json.loads((landed / "c.json").read_text())[0]["date"].startswith("2026-12-03")  # the newer stays
    assert (checkout / "runs/paper/run-s0/model.safetensors").read_bytes() == weights  # parts joined
    out = capsys.readouterr().out
    assert "new  b.json" in out and "older  c.json" in out and "unfinished  d.json.partial" in out
    assert "b.json.partial" not in out and "a.json" not in out and "copied 1 entries" in out


def test_a_dry_run_copies_nothing(checkout, tmp_path, monkeypatch, capsys):
    archive = tmp_path / "paper.tgz"
    archive.write_bytes(tgz({"runs/paper/board/b.json": entry("2026-12-04T00:00:00+00:00")}))
    assert run([archive, "--root", checkout, "--dry-run"], monkeypatch) == 0
    assert not (checkout / "leaderboards/paper/b.json").exists()
    assert "would copy 1 entries" in capsys.readouterr().out


def test_a_malformed_entry_is_named_with_its_field_and_fails_the_run(checkout, tmp_path, monkeypatch, capsys):
    bad = json.loads(entry("2026-12-04T00:00:00+00:00"))
    del bad[0]["results"]
    archive = tmp_path / "paper.tgz"
    archive.write_bytes(tgz({"runs/paper/board/bad.json": json.dumps(bad).encode(),
                             "runs/paper/board/b.json": entry("2026-12-04T00:00:00+00:00")}))
    assert run([archive, "--root", checkout], monkeypatch) == 1
    out = capsys.readouterr().out
    assert "invalid" in out and "bad.json" in out and "results" in out
    assert not (checkout / "leaderboards/paper/bad.json").exists()
    assert (checkout / "leaderboards/paper/b.json").exists()  # the good one still lands


def test_an_earlier_archive_unpacked_later_keeps_the_later_files(tmp_path):
    later, earlier = tmp_path / "later.tgz", tmp_path / "earlier.tgz"
    later.write_bytes(tgz({"runs/paper/x.log": b"step 1500"}, mtime=2_000_000.0))
    earlier.write_bytes(tgz({"runs/paper/x.log": b"step 750", "runs/paper/y.log": b"y"}, mtime=1_000_000.0))
    land_entries.unpack(later, tmp_path / "repo")
    assert land_entries.unpack(earlier, tmp_path / "repo") == ["runs/paper/y.log"]
    assert (tmp_path / "repo/runs/paper/x.log").read_bytes() == b"step 1500"


def test_an_archive_cannot_write_outside_the_checkout(tmp_path):
    evil = tmp_path / "evil.tgz"
    evil.write_bytes(tgz({"../outside.txt": b"x"}))
    with pytest.raises(tarfile.TarError):
        land_entries.unpack(evil, tmp_path / "repo")
    assert not (tmp_path / "outside.txt").exists()


def test_a_missing_source_or_board_is_a_clear_error(checkout, tmp_path, monkeypatch):
    assert "no such file or folder" in run([tmp_path / "nothing", "--root", checkout], monkeypatch)
    assert "no such folder" in run(["--root", checkout], monkeypatch)


def test_close_lands_a_partial_file_as_its_entry_and_names_an_unknown_one(checkout, tmp_path, monkeypatch, capsys):
    partial = json.loads(entry("2026-12-04T00:00:00+00:00", "gru-small-s1"))[0]  # a `.partial-` file holds one object
    archive = tmp_path / "paper.tgz"
    archive.write_bytes(tgz({"runs/paper/board/e.json.partial-gru-small-s1-interactive.json": json.dumps(partial).encode(),
                             "runs/paper/board/f.json.partial-gru-small-s0-interactive.json": json.dumps(partial).encode()}))
    assert run([archive, "--root", checkout, "--close", "e.json"], monkeypatch) == 0
    landed = checkout / "leaderboards/paper"
    assert json.loads((landed / "e.json").read_text()) == [partial]  # a finished entry file: a list
    assert not (landed / "f.json").exists()  # not named: its scoring may still resume
    out = capsys.readouterr().out
    assert "new  e.json" in out and "unfinished  f.json.partial" in out
    assert "no `.partial-` file of g.json" in run(["--root", checkout, "--close", "g.json"], monkeypatch)  # exit message
