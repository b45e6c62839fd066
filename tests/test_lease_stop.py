"""scripts/leases/graph-kernels.sh stop TAG: ends one queue of scripts/paper_runs.py and the runs it plays, and
nothing else: not another queue, and not the device call whose command line names the tag (session 38's inline
`pkill -f 'tag pythia-b512-'` killed its own call)."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "leases" / "graph-kernels.sh"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None or shutil.which("pgrep") is None,
                                reason="needs bash and procps")

# a stand-in queue: starts one run as paper_runs.py does (`bash -c "train && eval"`), writes its pids, and would
# start a retry if it outlived the run
FAKE_QUEUE = """
import pathlib, subprocess, sys, time
run = subprocess.Popen(["bash", "-c", "sleep 60 && touch evaluated"])
time.sleep(0.5)
kids = subprocess.run(["pgrep", "-P", str(run.pid)], capture_output=True, text=True).stdout.split()
pathlib.Path(sys.argv[2] + ".pids").write_text(" ".join([str(run.pid), *kids]))
run.wait()
pathlib.Path("retried-" + sys.argv[2]).touch()
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a child reaped by no one lingers as a zombie: it has ended
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"))


def _until(condition, seconds: float = 10.0) -> bool:
    end = time.time() + seconds
    while time.time() < end:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_stop_ends_its_queue_and_runs_and_spares_the_rest(tmp_path: Path):
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "paper_runs.py").write_text(FAKE_QUEUE)
    queues = {tag: subprocess.Popen([sys.executable, "scripts/paper_runs.py", "--tag", f"{tag}-"], cwd=tmp_path,
                                    start_new_session=True) for tag in ("a", "b")}
    try:
        assert _until(lambda: all((tmp_path / f"{t}-.pids").exists() for t in queues))
        pids = {t: [int(p) for p in (tmp_path / f"{t}-.pids").read_text().split()] for t in queues}
        assert all(len(p) == 2 for p in pids.values())  # the run's shell and its `sleep`
        # the call's own line names the tag, as session 38's did
        call = subprocess.run(["bash", "-c", f"bash {SCRIPT} stop a; echo 'after --tag a- '"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=30)
        assert call.returncode == 0 and "after --tag a-" in call.stdout and "stopped queue a" in call.stdout
        assert _until(lambda: queues["a"].poll() is not None)
        assert _until(lambda: not any(_alive(p) for p in pids["a"]))
        assert not (tmp_path / "retried-a-").exists() and not (tmp_path / "evaluated").exists()
        assert queues["b"].poll() is None and all(_alive(p) for p in pids["b"])
        missing = subprocess.run(["bash", str(SCRIPT), "stop", "c"], cwd=tmp_path, capture_output=True, text=True)
        assert "no queue c" in missing.stdout
    finally:
        for q in queues.values():
            if q.poll() is None:
                os.killpg(q.pid, 9)
