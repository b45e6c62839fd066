# The answers the session-41 `direct` and `direct-reversed` models give past their training length
# (4 test problems per length, seed 0 of each; CPU box, one thread). Run from the repository root.
import toolenv
from agents.checkpoint import load_agent
from toolenv.rollout import rollout

task = toolenv.get_task("addition")
for regime in ("direct-reversed", "direct"):
    agent = load_agent(f"runs/cpu41/addition-mamba2-small-8k-lr1e-3-{regime}-s0", device="cpu")
    for n in (5, 6, 7, 10):
        problems = [task.problem("test", n, i) for i in range(4)]
        for r in rollout(agent, task, problems, regime):
            print(f"{regime:16s} {n:2d} digits  {r.problem.prompt}{r.problem.answer}  given {r.output:10s} {'right' if r.correct else 'wrong'}")
