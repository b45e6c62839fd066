"""toolenv.clock: a run suspended with SIGTSTP (Ctrl-Z, a paused queue) stops as before, and the
seconds it spent stopped are not counted as its training or scoring time."""

import os
import signal
import subprocess
import sys
import time

import pytest

from toolenv import clock

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGTSTP"), reason="job control signals are POSIX")

CHILD = """
import time
from toolenv import clock
assert clock.install()
p0, c0 = time.perf_counter(), clock.now()
print("ready", flush=True)
while time.perf_counter() - p0 < 2.5:
    time.sleep(0.01)
print(time.perf_counter() - p0, clock.now() - c0, clock.suspended(), flush=True)
"""


def _state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="reads the process state from /proc")
def test_a_suspended_process_stops_and_its_pause_is_left_out_of_its_clock():
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.2)
        child.send_signal(signal.SIGTSTP)
        time.sleep(1.5)
        assert _state(child.pid) == "T"  # stopped, as job control expects
        child.send_signal(signal.SIGCONT)
        wall, measured, suspended = map(float, child.stdout.readline().split())
    finally:
        child.kill()
        child.wait()
    assert wall >= 2.5
    assert 1.3 < suspended < wall and measured == pytest.approx(wall - suspended, abs=0.05)


def test_install_leaves_a_handler_someone_else_set_in_place():
    def mine(signum, frame):
        pass

    previous, installed = signal.signal(signal.SIGTSTP, mine), clock._installed
    clock._installed = False  # as in a fresh process (the CLI's tests may have installed it in this one)
    try:
        assert clock.install() is False and signal.getsignal(signal.SIGTSTP) is mine
    finally:
        signal.signal(signal.SIGTSTP, previous)
        clock._installed = installed


def test_without_a_pause_the_clock_is_the_performance_counter():
    before = time.perf_counter() - clock.suspended()
    assert clock.now() >= before and clock.now() - time.perf_counter() == pytest.approx(-clock.suspended(), abs=0.01)
