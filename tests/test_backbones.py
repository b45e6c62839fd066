"""Every backbone: one-token stepping equals the full forward; paused rows keep their state."""

import gc
import weakref

import pytest
import torch
from pydantic import ValidationError

import toolenv
from agents.backbone import Backbone
from agents.builder import build_backbone

NAMES = ["mamba", "mamba2", "transformer", "swa-transformer", "lstm", "gru"]
TOL = 1e-4  # float32, absolute, on logits of magnitude ~1


def _model(name, **kw):
    torch.manual_seed(0)
    return build_backbone(name, "tiny", kw).eval()


@pytest.mark.parametrize("name", NAMES)
def test_stepping_matches_full_forward(name):
    m = _model(name)
    x = torch.randint(4, toolenv.vocab.VOCAB_SIZE, (3, 37))
    with torch.no_grad():
        full = m(x)
        state, steps = m.init_state(3), []
        for t in range(x.shape[1]):
            logits, state = m.step(x[:, t], state)
            steps.append(logits)
    assert (torch.stack(steps, 1) - full).abs().max() < TOL


@pytest.mark.parametrize("name", NAMES)
def test_paused_rows_equal_running_alone(name):
    m = _model(name)
    x = torch.randint(4, toolenv.vocab.VOCAB_SIZE, (3, 20))
    pauses = {1: {2, 3, 9}, 2: {0, 5}}
    with torch.no_grad():
        full = m(x)
        state, got, ptr = m.init_state(3), [[], [], []], [0, 0, 0]
        for t in range(26):
            mask = torch.tensor([ptr[b] < 20 and t not in pauses.get(b, ()) for b in range(3)])
            tokens = torch.tensor([int(x[b, min(ptr[b], 19)]) for b in range(3)])
            logits, state = m.step(tokens, state, mask)
            for b in range(3):
                if mask[b]:
                    got[b].append(logits[b])
                    ptr[b] += 1
    for b in range(3):
        assert (torch.stack(got[b]) - full[b]).abs().max() < TOL


@pytest.mark.parametrize("name", NAMES)
def test_a_rollouts_state_is_freed_when_the_next_starts(name):
    """Without the cyclic garbage collector: an evaluation plays batch after batch, and a state
    kept alive by a reference cycle (session 28: a KV cache and its layers) holds its GPU memory
    into the next batches until a collection that CUDA-graph capture no longer triggers."""
    from agents.lm_agent import LMAgent
    from toolenv.rollout import rollout

    task = toolenv.get_task("addition")
    agent = LMAgent(_model(name), device="cpu")
    rollout(agent, task, [task.problem("test", 3, i, 0) for i in range(2)], max_steps=40)
    leaves = torch.utils._pytree.tree_flatten(agent.state)[0]
    held = [weakref.ref(t) for t in leaves if isinstance(t, torch.Tensor)]
    assert held
    del leaves
    gc.disable()
    try:
        agent.start(2)
        alive = sum(r() is not None for r in held)
    finally:
        gc.enable()
    assert alive == 0, f"{alive} of {len(held)} state tensors of the finished rollout are still alive"


@pytest.mark.parametrize("name", NAMES)
def test_backward_gives_finite_gradients(name):
    m = _model(name).train()
    loss = m(torch.randint(4, 100, (2, 24))).logsumexp(-1).mean()
    loss.backward()
    grads = [p.grad for p in m.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)


@pytest.mark.parametrize("name", NAMES)
def test_presets_and_bad_config(name):
    cls = toolenv.get_agent_class(name)
    assert issubclass(cls, Backbone) and {"tiny", "small", "paper"} <= set(cls.presets)
    assert cls.from_preset("small").num_parameters() > cls.from_preset("tiny").num_parameters()
    with pytest.raises(ValidationError):
        cls.from_preset("tiny", not_a_field=3)
    with pytest.raises(ValueError, match="unknown size"):
        cls.from_preset("huge")


# The paper's models carry a 50k-token GPT-NeoX embedding (38.6M parameters at d_model 768);
# with toolenv's 120-token vocabulary Mamba-130M's 24 x 768 stack comes to ~91M.
@pytest.mark.parametrize("name,low,high", [("mamba", 85e6, 95e6), ("transformer", 105e6, 120e6), ("lstm", 70e6, 80e6)])
def test_paper_presets_have_the_papers_scale(name, low, high):
    with torch.device("meta"):
        m = toolenv.get_agent_class(name).from_preset("paper")
    assert low < m.num_parameters() < high
