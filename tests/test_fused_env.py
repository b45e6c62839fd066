"""The fused Triton env step (toolenv.fused_env) gives the same episodes as the torch env step.

Each case plays one batch per task and regime in which some rows follow the teacher and the
others make mistakes (random commands of every pointer, [EOS]/[PAD]/[ANS], digits), so one
rollout covers wins, wrong answers, invalid actions, truncation, reads past either end and
pointer moves clamped at both ends. On the CPU the kernel runs under Triton's interpreter (a
child process with TRITON_INTERPRET=1, which must be set before Triton decorates the kernel);
on CUDA (marked gpu) it runs compiled, eagerly and inside CUDA graphs.
"""

import os
import subprocess
import sys

import pytest
import torch

import toolenv
from toolenv import batch_tools as bt
from toolenv import fused_env, vocab
from toolenv.errors import ToolEnvError
from toolenv.oracle_policy import OraclePolicy
from toolenv.rollout import rollout

INTERPRETED = fused_env.triton is not None and fused_env._INTERPRETED

_MISTAKES = sorted(vocab.COMMAND_IDS) + [vocab.PAD, vocab.BOS, vocab.EOS, vocab.ANS] + vocab.encode("0123456789=\n")


class Careless(OraclePolicy):
    """The teacher in the first ``clean`` rows; elsewhere, with probability ``p`` per context
    position, a mistake. A fixed function of (row, position): capturable, same on every path."""

    def __init__(self, task, problems, regime, p, clean, device):
        super().__init__(task, problems, regime, device=device)
        gen = torch.Generator().manual_seed(0)
        shape = (len(problems), 1024)
        self.noise = torch.tensor(_MISTAKES)[torch.randint(0, len(_MISTAKES), shape, generator=gen)].to(device)
        flip = torch.rand(shape, generator=gen) < p
        flip[:clean] = False
        self.flip = flip.to(device)

    def feed(self, tokens, active):
        choice = super().feed(tokens, active)
        at = self.pos.clamp(max=self.noise.shape[1] - 1)[:, None]
        return torch.where(self.flip.gather(1, at)[:, 0], self.noise.gather(1, at)[:, 0], choice)


def fields(results):
    return [(r.tokens, r.roles, r.output, r.correct, r.steps, r.tool_calls, r.truncated, r.invalid, r.context_tokens)
            for r in results]


# (task, regime, max_steps, record, wins): every pointer count (1-4) and each other host-free
# tool; where the step limit allows, some teacher rows win (the others' take 100+ steps: slow
# under the interpreter)
CASES = [
    ("addition", "interactive", 48, True, True),
    ("multiplication_nx2", "interactive", 40, True, False),
    ("hanoi", "interactive", 40, True, False),
    ("sorting", "interactive", 40, False, False),
    ("code_tracing", "interactive", 40, True, True),
    ("addition", "no-tool", 64, True, True),
    ("addition", "single-turn", 24, True, True),
    ("code_tracing", "direct", 24, True, True),
]


def play(case, device, **kw):
    name, regime, max_steps, record, _ = case
    task = toolenv.get_task(name)
    problems = [task.problem("test", n, i) for n in (task.min_length, task.min_length + 1) for i in range(6)]
    p = 0.3 if regime in ("single-turn", "direct") else 0.08
    policy = Careless(task, problems, regime, p, clean=3, device=device)
    return rollout(policy, task, problems, regime, max_steps=max_steps, record=record, sync_every=8, **kw)


def check_paths(case, results):
    """The batch took the paths it is meant to cover."""
    assert any(r.correct for r in results) or not case[4]
    assert any(r.invalid or r.truncated for r in results)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_interpreted_fused_env_equals_torch_env(case):
    if not INTERPRETED:
        pytest.skip("needs Triton's interpreter: TRITON_INTERPRET=1 (test_interpreter_run runs these in a child)")
    torch_env = play(case, "cpu", fused_env=False)
    fused = play(case, "cpu", fused_env=True)
    assert fields(fused) == fields(torch_env)
    check_paths(case, fused)


def test_interpreter_run():
    """Runs the interpreted cases above in a child process (TRITON_INTERPRET=1 set before import)."""
    if fused_env.triton is None:
        pytest.skip("triton is not installed (pip install triton)")
    if INTERPRETED:
        pytest.skip("already under the interpreter: the cases run in this process")
    env = {**os.environ, "TRITON_INTERPRET": "1"}
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", __file__, "-k",
                          "interpreted"], env=env, capture_output=True, text=True, check=False, cwd=os.path.dirname(__file__))
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert f"{len(CASES)} passed" in out.stdout, out.stdout[-2000:]


def test_what_prevents_the_fused_step_is_named():
    if fused_env.triton is None:
        assert "not installed" in fused_env.fused_env_apply(bt.BatchPointerMemory(1), torch.device("cuda"))
    else:
        assert "has no fused env step" in fused_env.fused_env_apply(bt.BatchSearchMemory(), torch.device("cuda"))
        assert fused_env.fused_env_apply(bt.BatchCalculator(["1"]), torch.device("cuda")) is None
    if not INTERPRETED:
        assert fused_env.fused_env_apply(bt.BatchPointerMemory(1), torch.device("cpu")) is not None
    task = toolenv.get_task("logical_graph")  # the search tool works on the host
    problems = [task.problem("test", 1, 0)]
    with pytest.raises(ToolEnvError, match="fused_env=True, but"):
        rollout(OraclePolicy(task, problems), task, problems, fused_env=True)
    with pytest.raises(ToolEnvError, match="choose one"):
        rollout(OraclePolicy(task, problems), task, problems, fused_env=True, compile_env=True)


@pytest.mark.gpu
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_fused_env_on_cuda_equals_torch_env_eager_and_in_graphs(case):
    torch_env = fields(play(case, "cuda", fused_env=False, cuda_graphs=False))
    assert fields(play(case, "cuda", fused_env=True, cuda_graphs=False)) == torch_env
    graphs = play(case, "cuda", fused_env=True, cuda_graphs=True)
    assert fields(graphs) == torch_env
    check_paths(case, graphs)


@pytest.mark.gpu
@pytest.mark.parametrize("regime", ["interactive", "single-turn"])
def test_fused_env_with_an_lm_through_many_graph_replays(regime):
    """An untrained Mamba-2 barred from ending its episodes runs every row to the step limit."""
    from test_rollout_gpu import NeverEnding, endings

    from agents.builder import build_backbone

    torch.manual_seed(0)
    task = toolenv.get_task("addition")
    problems = [task.problem("test", n, i) for n in (3, 40) for i in range(8)]
    backbone = build_backbone("mamba2", "tiny", {}).to("cuda")
    banned = endings(task, regime)

    def go(**kw):
        return fields(rollout(NeverEnding(backbone, banned), task, problems, regime, max_steps=300, record=True, **kw))

    assert go(cuda_graphs=True, fused_env=True) == go(cuda_graphs=False, fused_env=False)
