"""On CUDA, rollouts replayed as captured CUDA graphs equal the eager engine's, token for token
(marked gpu; skipped without CUDA).

Untrained models would end their episodes within a few tokens (a random [EOS], [PAD], a command
the tool rejects...), so the LM policies here never choose the tokens that end an episode: every
episode then runs to its step limit, through many graph replays, with random commands, reads and
thoughts.
"""

import math

import pytest
import torch

import toolenv
from agents.builder import build_backbone
from agents.lm_agent import LMAgent
from agents.teacher_forced import TeacherForcedLM
from toolenv import rollout as rollout_module
from toolenv import vocab
from toolenv.errors import ToolEnvError
from toolenv.oracle_policy import OraclePolicy
from toolenv.rollout import rollout

pytestmark = pytest.mark.gpu
DEV = "cuda"


def endings(task, regime: str) -> list[int]:
    """Tokens that end an episode of ``task`` in ``regime``: [EOS], [PAD], [BOS], [ANS] (a second
    one is invalid) and the commands its tool rejects."""
    out = [vocab.EOS, vocab.PAD, vocab.BOS, vocab.ANS]
    if regime == "interactive":
        k = task.make_tool().k
        ok = {vocab.pointer_command(j, op) for j in range(1, k + 1) for op in vocab.POINTER_OPS}
        out += sorted(set(vocab.COMMAND_IDS) - ok)
    elif regime == "single-turn":
        out += sorted(vocab.COMMAND_IDS)
    return out


class NeverEnding(LMAgent):
    """Greedy decoding that never picks a token that ends the episode."""

    def __init__(self, backbone, banned):
        super().__init__(backbone)
        self.endings = torch.tensor(banned, device=self.device)  # made outside any capture

    def choose(self, logits: torch.Tensor) -> torch.Tensor:
        return logits.index_fill(1, self.endings, float("-inf")).argmax(-1)


def fields(results):
    return [(r.tokens, r.roles, r.output, r.correct, r.steps, r.tool_calls, r.truncated, r.invalid, r.context_tokens)
            for r in results]


@pytest.mark.parametrize("name", ["mamba", "mamba2", "lstm", "gru", "transformer", "swa-transformer"])
@pytest.mark.parametrize("regime", ["interactive", "direct", "single-turn", "no-tool"])
def test_graph_rollouts_equal_eager_ones_for_every_fixed_state_backbone(name, regime):
    torch.manual_seed(0)
    task = toolenv.get_task("addition")
    problems = [task.problem("test", n, i) for n in (3, 40) for i in range(8)]
    backbone = build_backbone(name, "tiny", {}).to(DEV)
    banned = endings(task, regime)
    eager = rollout(NeverEnding(backbone, banned), task, problems, regime, max_steps=300, record=True,
                    cuda_graphs=False)
    graph = rollout(NeverEnding(backbone, banned), task, problems, regime, max_steps=300, record=True,
                    cuda_graphs=True)
    assert fields(graph) == fields(eager)
    assert all(r.truncated for r in graph)  # every episode ran to its limit: long enough to matter


@pytest.mark.parametrize("task_name", ["addition", "sorting", "code_tracing"])
def test_graph_rollouts_of_the_oracle_win_every_episode(task_name):
    task = toolenv.get_task(task_name)
    problems = [task.problem("test", n, i) for n in (2, 30) for i in range(4)]
    eager = rollout(OraclePolicy(task, problems, device=DEV), task, problems, record=True, cuda_graphs=False)
    graph = rollout(OraclePolicy(task, problems, device=DEV), task, problems, record=True, cuda_graphs=True)
    assert all(r.correct for r in graph)
    assert fields(graph) == fields(eager)


@pytest.mark.parametrize("name", ["mamba", "mamba2", "lstm", "gru"])
def test_search_rollouts_replay_the_policy_step_and_equal_eager_ones(name, monkeypatch):
    torch.manual_seed(0)
    task = toolenv.get_task("logical_graph")
    problems = [task.problem("test", n, i) for n in (3, 20) for i in range(4)]
    backbone = build_backbone(name, "tiny", {}).to(DEV)
    captures = []
    capture = rollout_module._PolicyGraph._capture
    monkeypatch.setattr(rollout_module._PolicyGraph, "_capture", lambda self: captures.append(capture(self)))
    eager_agent, graph_agent = TeacherForcedLM(backbone, task, problems), TeacherForcedLM(backbone, task, problems)
    eager = rollout(eager_agent, task, problems, record=True, cuda_graphs=False)
    assert captures == []
    graph = rollout(graph_agent, task, problems, record=True)  # the default: the policy step replayed
    assert len(captures) == 1
    assert all(r.correct and r.tool_calls > 5 for r in graph)
    assert fields(graph) == fields(eager)
    assert torch.equal(graph_agent.digest, eager_agent.digest)


def test_graphs_are_refused_where_they_cannot_apply():
    task = toolenv.get_task("addition")
    problems = [task.problem("test", 3, i) for i in range(2)]
    sampled = LMAgent(build_backbone("mamba2", "tiny", {}).to(DEV), temperature=1.0)
    with pytest.raises(ToolEnvError, match="graph_state"):
        rollout(sampled, task, problems, cuda_graphs=True)
    # the default (None) falls back to the eager loop and still plays every episode
    assert len(rollout(sampled, task, problems, max_steps=20)) == 2


@pytest.mark.parametrize("task_name", ["addition", "logical_graph"])
def test_a_growing_kv_cache_is_captured_again_after_each_growth(task_name, monkeypatch):
    """The Transformer's cache grows in ``reserve`` between replays (1.5x when full): each growth
    is a new capture, a few in all, and the episodes equal the eager engine's (whole-step graphs
    with the pointer tool; the policy step alone with the search tool)."""
    torch.manual_seed(0)
    task = toolenv.get_task(task_name)
    problems = [task.problem("test", n, i) for n in ((3, 40) if task_name == "addition" else (3, 20)) for i in range(4)]
    backbone = build_backbone("transformer", "tiny", {}).to(DEV)
    engine = rollout_module._GraphChunk if task_name == "addition" else rollout_module._PolicyGraph
    captures = []
    capture = engine._capture
    monkeypatch.setattr(engine, "_capture", lambda self: captures.append(capture(self)))
    if task_name == "addition":
        banned = endings(task, "interactive")
        eager = rollout(NeverEnding(backbone, banned), task, problems, max_steps=600, record=True, cuda_graphs=False)
        graph = rollout(NeverEnding(backbone, banned), task, problems, max_steps=600, record=True, cuda_graphs=True)
    else:  # teacher-forced: long episodes through the real search tool
        eager_agent, graph_agent = TeacherForcedLM(backbone, task, problems), TeacherForcedLM(backbone, task, problems)
        eager = rollout(eager_agent, task, problems, record=True, cuda_graphs=False)
        graph = rollout(graph_agent, task, problems, record=True)
        assert all(r.correct for r in graph)
        assert torch.equal(graph_agent.digest, eager_agent.digest)  # the model's own choices, every step
    assert fields(graph) == fields(eager)
    longest = max(r.context_tokens for r in graph)
    assert 3 <= len(captures) <= 4 + math.log(longest / 64, 1.5)


def test_compiled_env_step_gives_the_same_episodes():
    torch.manual_seed(0)
    task = toolenv.get_task("addition")
    problems = [task.problem("test", n, i) for n in (3, 40) for i in range(8)]
    backbone = build_backbone("mamba2", "tiny", {}).to(DEV)
    banned = endings(task, "interactive")
    eager = rollout(NeverEnding(backbone, banned), task, problems, max_steps=300, record=True, cuda_graphs=False)
    fused = rollout(NeverEnding(backbone, banned), task, problems, max_steps=300, record=True, cuda_graphs=True,
                    compile_env=True)
    assert fields(fused) == fields(eager)
    oracle = rollout(OraclePolicy(task, problems, device=DEV), task, problems, compile_env=True)
    assert all(r.correct for r in oracle)


def test_a_growing_kv_cache_needs_little_more_than_itself_at_its_peak():
    """Each growth and each capture holds one layer's buffer beside the cache, not a second cache:
    session 28's 113M scoring ran out of memory at 20 digits holding its cache, the capture's copy
    of it and earlier batches' caches."""
    torch.manual_seed(0)
    task = toolenv.get_task("addition")
    problems = [task.problem("test", 40, i) for i in range(32)]
    shape = {"d_model": 256, "n_layers": 8, "n_heads": 4, "intermediate_size": 256}
    agent = NeverEnding(build_backbone("transformer", "tiny", shape).to(DEV), endings(task, "interactive"))
    rollout(agent, task, problems[:2], max_steps=50, cuda_graphs=True)  # kernels, handles, workspaces
    agent.start(1)
    torch.cuda.synchronize()
    torch.cuda.empty_cache()
    base = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    rollout(agent, task, problems, max_steps=1000, cuda_graphs=True)
    cache = sum(t.nbytes for layer in agent.state.cache.layers for t in (layer.keys, layer.values))
    peak = torch.cuda.max_memory_allocated() - base
    assert cache > 256 * 2**20  # far above everything else the rollout allocates
    assert peak < 1.25 * cache, f"peak {peak / 2**20:.0f} MiB for a cache of {cache / 2**20:.0f} MiB"
