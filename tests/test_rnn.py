"""LSTM and GRU: stepping equals the full forward row by row however rows pause, a paused row's
state is untouched, gradients flow, configs are checked, presets have the paper's scale."""

import pytest
import torch
from pydantic import ValidationError

import toolenv
from agents.backbones.rnn import GRU, LSTM

V = toolenv.vocab.VOCAB_SIZE
TOL = 1e-4  # float32, absolute, on logits of magnitude ~1 (observed: ~1e-7)


def _model(cls, **kw):
    torch.manual_seed(0)
    return cls.from_preset("tiny", n_layers=2, **kw).eval()


def _as_tuple(state):
    return state if isinstance(state, tuple) else (state,)


@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_stepping_with_pauses_equals_each_row_run_alone(cls):
    m = _model(cls)
    B, T = 3, 20
    x = torch.randint(4, V, (B, T), generator=torch.Generator().manual_seed(1))
    paused = [set(), {0, 1, 7, 8, 9}, set(range(0, 40, 2))]
    with torch.no_grad():
        state, got, ptr, t = m.init_state(B), [[] for _ in range(B)], [0] * B, 0
        while min(ptr) < T:
            mask = torch.tensor([ptr[b] < T and t not in paused[b] for b in range(B)])
            tokens = torch.tensor([int(x[b, min(ptr[b], T - 1)]) for b in range(B)])
            before = [s.clone() for s in _as_tuple(state)]
            logits, state = m.step(tokens, state, mask)
            for b in range(B):
                if mask[b]:
                    got[b].append(logits[b])
                    ptr[b] += 1
                else:  # a paused row's state is exactly what it was
                    assert all(torch.equal(o[:, b], n[:, b]) for o, n in zip(before, _as_tuple(state)))
            t += 1
        for b in range(B):
            assert (torch.stack(got[b]) - m(x[b : b + 1])[0]).abs().max() < TOL, f"row {b}"


@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_stepping_without_mask_equals_full_forward(cls):
    m = _model(cls)
    x = torch.randint(4, V, (2, 15))
    with torch.no_grad():
        state, steps = m.init_state(2), []
        for t in range(x.shape[1]):
            logits, state = m.step(x[:, t], state)
            steps.append(logits)
        assert (torch.stack(steps, 1) - m(x)).abs().max() < TOL


@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_backward_gives_finite_gradients_for_every_parameter(cls):
    m = _model(cls, dropout=0.1).train()
    m(torch.randint(4, V, (2, 30))).logsumexp(-1).mean().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in m.parameters())


@pytest.mark.parametrize("bad,field", [({"hidden": 0}, "hidden"), ({"n_layers": 0}, "n_layers"),
                                       ({"dropout": 1.5}, "dropout"), ({"d_embed": "wide"}, "d_embed")])
@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_bad_config_names_the_field(cls, bad, field):
    with pytest.raises(ValidationError, match=field):
        cls.from_preset("tiny", **bad)


@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_presets_build_and_grow(cls):
    tiny, small = cls.from_preset("tiny"), cls.from_preset("small")
    assert small.num_parameters() > tiny.num_parameters()
    assert small(torch.randint(4, V, (1, 5))).shape == (1, 5, V)


# Paper App. C: 4 layers, hidden 1536 (embedding 1536 assumed): LSTM 75.9M, GRU 57.0M here.
@pytest.mark.parametrize("cls,low,high", [(LSTM, 74e6, 78e6), (GRU, 55e6, 59e6)])
def test_paper_presets_have_the_papers_scale(cls, low, high):
    with torch.device("meta"):
        m = cls.from_preset("paper")
    assert low < m.num_parameters() < high
    assert (m.rnn.num_layers, m.rnn.hidden_size) == (4, 1536)


def test_lstm_forget_bias_sets_every_layers_forget_gate_and_nothing_else():
    torch.manual_seed(0)
    default = LSTM.from_preset("tiny", n_layers=2)
    torch.manual_seed(0)
    m = LSTM.from_preset("tiny", n_layers=2, forget_bias=1.0)
    h = m.config.hidden
    for layer in range(2):
        b_ih, b_hh = getattr(m.rnn, f"bias_ih_l{layer}"), getattr(m.rnn, f"bias_hh_l{layer}")
        assert torch.all(b_ih[h:2 * h] == 1.0) and torch.all(b_hh[h:2 * h] == 0.0)
        # the input, cell and output gates keep torch's init, drawn from the same seed
        ref_ih = getattr(default.rnn, f"bias_ih_l{layer}")
        assert torch.equal(b_ih[:h], ref_ih[:h]) and torch.equal(b_ih[2 * h:], ref_ih[2 * h:])
    x = torch.randint(4, V, (1, 6))  # and stepping still equals the forward
    with torch.no_grad():
        state, steps = m.init_state(1), []
        for t in range(x.shape[1]):
            logits, state = m.step(x[:, t], state)
            steps.append(logits)
        assert (torch.stack(steps, 1) - m(x)).abs().max() < TOL


def test_the_forget_bias_is_an_lstm_field_only():
    assert LSTM.from_preset("tiny").config.forget_bias is None
    with pytest.raises(ValidationError, match="forget_bias"):
        GRU.from_preset("tiny", forget_bias=1.0)
