"""The clock that training and evaluation time themselves with: wall time less job-control pauses.

A run's recorded seconds are its cost (leaderboard entries: ``training.wall_time_s``, each length's
``seconds``). A run suspended with SIGTSTP (Ctrl-Z in a shell, or a queue paused so that another
run gets the GPU) and resumed later would count the pause as work. ``install()`` catches SIGTSTP:
the handler notes the time, stops the process with SIGSTOP (so job control behaves as it did) and,
once resumed by SIGCONT, adds the stopped interval to ``suspended()``. ``now()`` is
``time.perf_counter()`` less that sum. A bare SIGSTOP cannot be caught: a pause sent so still counts.
"""

from __future__ import annotations

import os
import signal
import threading
import time

_suspended = 0.0
_installed = False


def suspended() -> float:
    """Seconds this process spent stopped by SIGTSTP since ``install()``."""
    return _suspended


def now() -> float:
    """``time.perf_counter()`` less the seconds spent suspended by SIGTSTP (after ``install()``)."""
    return time.perf_counter() - _suspended


def _on_tstp(signum, frame) -> None:
    global _suspended
    start = time.perf_counter()
    os.kill(os.getpid(), signal.SIGSTOP)  # returns once a SIGCONT resumed the process
    _suspended += time.perf_counter() - start


def install() -> bool:
    """Catch SIGTSTP as above. Returns whether the handler is in place: not off POSIX, not outside
    the main thread (Python's rule for handlers), and never over a handler someone else set."""
    global _installed
    if _installed:
        return True
    if not hasattr(signal, "SIGTSTP") or threading.current_thread() is not threading.main_thread():
        return False
    if signal.getsignal(signal.SIGTSTP) is not signal.SIG_DFL:
        return False
    signal.signal(signal.SIGTSTP, _on_tstp)
    _installed = True
    return True
