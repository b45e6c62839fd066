"""CPU side of CUDA-graph rollouts: which rollouts may be captured, and the errors when asked for
graphs that cannot apply (the capture itself is tested on GPU: tests/test_rollout_gpu.py)."""

import weakref

import pytest
import torch

import toolenv
from agents.builder import build_backbone
from agents.lm_agent import LMAgent
from toolenv import batch_tools as bt
from toolenv import rollout as rollout_module
from toolenv.errors import ToolEnvError
from toolenv.oracle_policy import OraclePolicy
from toolenv.rollout import _state_leaves, graphs_apply, policy_graph_apply, rollout

CUDA = torch.device("cuda")


def test_fixed_state_greedy_policies_with_host_free_tools_are_capturable():
    """Transformers too: their KV caches grow only in ``reserve``, between replays."""
    for name in ("mamba", "mamba2", "lstm", "gru", "transformer", "swa-transformer"):
        agent = LMAgent(build_backbone(name, "tiny", {}))
        agent.start(2)
        assert graphs_apply(agent, bt.BatchPointerMemory(2), CUDA) is None, name
    oracle = OraclePolicy()
    oracle.pos = torch.zeros(2, dtype=torch.long)
    assert graphs_apply(oracle, bt.BatchCalculator(["1"]), CUDA) is None
    assert graphs_apply(oracle, bt.BatchImagined(), CUDA) is None


@pytest.mark.parametrize("why, policy, tool, device", [
    ("not CUDA", "oracle", bt.BatchPointerMemory(1), "cpu"),
    ("host work", "oracle", bt.BatchSearchMemory(), "cuda"),
    ("graph_state", "sampled", bt.BatchPointerMemory(1), "cuda"),
])
def test_what_prevents_capture_is_named(why, policy, tool, device):
    if policy == "oracle":
        p = OraclePolicy()
        p.pos = torch.zeros(2, dtype=torch.long)
    else:
        p = LMAgent(build_backbone("mamba2", "tiny", {}), temperature=1.0)
        p.start(2)
    assert why in graphs_apply(p, tool, torch.device(device))


def test_asking_for_graphs_on_cpu_is_an_error_and_the_default_runs_eagerly():
    task = toolenv.get_task("addition")
    problems = [task.problem("test", 4, i) for i in range(3)]
    with pytest.raises(ToolEnvError, match="cuda_graphs=True.*not CUDA"):
        rollout(OraclePolicy(task, problems), task, problems, cuda_graphs=True)
    assert all(r.correct for r in rollout(OraclePolicy(task, problems), task, problems))


def test_with_a_host_tool_only_the_policy_step_is_captured_and_what_prevents_it_is_named():
    """The search tool needs the host each step: whole-step graphs refuse it, while a greedy
    fixed-state LM's step alone can still be replayed (tests/test_rollout_gpu.py)."""
    gru = LMAgent(build_backbone("gru", "tiny", {}))
    gru.start(2)
    assert "host work" in graphs_apply(gru, bt.BatchSearchMemory(), CUDA)
    assert policy_graph_apply(gru, CUDA) is None
    assert "not CUDA" in policy_graph_apply(gru, torch.device("cpu"))
    transformer = LMAgent(build_backbone("transformer", "tiny", {}))
    transformer.start(2)
    assert policy_graph_apply(transformer, CUDA) is None  # its cache grows in reserve, between replays
    sampled = LMAgent(build_backbone("gru", "tiny", {}), temperature=1.0)
    sampled.start(2)
    assert "graph_state" in policy_graph_apply(sampled, CUDA)
    oracle = OraclePolicy()
    oracle.pos = torch.zeros(2, dtype=torch.long)
    assert "feeds_ended_rows" in policy_graph_apply(oracle, CUDA)


def test_a_capture_copies_the_state_one_tensor_at_a_time():
    """A capture gives the state storage of its own; each tensor is freed as its copy takes its
    place, so the capture needs one tensor more than the state, not twice the state (a KV cache
    of 64 rows of the 113M model: 21.6 GiB at 20-digit n×1, session 28)."""
    agent = LMAgent(build_backbone("transformer", "tiny", {}))
    agent.start(2)
    agent.feed(torch.tensor([5, 6]), None)
    leaves, spec = torch.utils._pytree.tree_flatten(agent.graph_state)
    originals = [weakref.ref(x) for x in leaves]
    alive = []

    def restore(values):
        agent.graph_state = torch.utils._pytree.tree_unflatten(values, spec)
        alive.append(sum(r() is not None for r in originals))

    static = rollout_module._own_copies(leaves, restore)
    assert alive == list(range(len(originals) - 1, -1, -1))
    assert all(x is y for x, y in zip(_state_leaves(agent), static, strict=True))
