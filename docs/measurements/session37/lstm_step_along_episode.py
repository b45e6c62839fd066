"""Does the LSTM's CPU step slow down along a long episode, and do subnormal floats in its state explain it?"""
# run: .venv/bin/python docs/measurements/session37/lstm_step_along_episode.py runs/cpu37/addition-lstm-s1 1000 (CPU box, one thread, beside the same model scored at 5,000 digits on the other core)
import sys, time
import numpy as np, torch
torch.set_num_threads(1)
from toolenv.registry import get_task
from toolenv.task import Split
from agents.checkpoint import load_backbone
m, _ = load_backbone(sys.argv[1]); m.eval()
task = get_task("addition")
B, L = 16, int(sys.argv[2])
trajs = [task.oracle(task.problem(Split.TEST if hasattr(Split, "TEST") else "test", L, i)).tokens for i in range(B)]
T = min(len(t) for t in trajs)
toks = torch.tensor(np.stack([t[:T] for t in trajs]))
tiny = torch.finfo(torch.float32).tiny
for flush in (False, True):
    torch.set_flush_denormal(flush)
    state = m.init_state(B); window = max(1, T // 10); t0 = time.perf_counter(); rates = []
    with torch.inference_mode():
        for t in range(T):
            _, state = m.step(toks[:, t], state)
            if (t + 1) % window == 0:
                now = time.perf_counter(); rates.append(round(window * B / (now - t0))); t0 = now
                sub = [int(((s != 0) & (s.abs() < tiny)).sum()) for s in state]
                if flush is False: print(f"t={t+1} subnormals h,c={sub} |c|max={float(state[1].abs().max()):.1f}")
    print("flush" if flush else "no flush", "tokens/s per tenth:", rates)
