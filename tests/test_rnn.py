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


@pytest.mark.parametrize("precision,inside", [("fp32", False), ("autocast", True)])
@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_the_recurrence_leaves_autocast_unless_asked(cls, precision, inside):
    """Under autocast (bf16 here, on the CPU), the fp32 recurrence sees float32 input and autocast off, in
    training's forward and in stepping; on CUDA, torch's autocast would run it in float16."""
    m = _model(cls, recurrence_precision=precision)
    seen = []
    m.rnn.register_forward_pre_hook(lambda mod, args: seen.append((torch.is_autocast_enabled("cpu"), args[0].dtype)))
    x = torch.randint(4, V, (2, 7))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        m(x).float().sum().backward()
        m.step(x[:, 0], m.init_state(2))
    assert seen and all(enabled == inside for enabled, _ in seen)
    if not inside:
        assert all(dtype == torch.float32 for _, dtype in seen)
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in m.rnn.parameters())


def test_the_recurrence_precision_is_checked():
    with pytest.raises(ValidationError, match="recurrence_precision"):
        GRU.from_preset("tiny", recurrence_precision="fp16")


@pytest.mark.gpu
@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_on_cuda_the_fp32_recurrence_gives_float32_gradients_under_autocast(cls):
    """Training's autocast (bf16) at training's loss scale (a mean over ~10^6 loss tokens): the fp32 recurrence
    gives the gradients of a float32 forward, while torch's autocast runs cuDNN in float16."""
    torch.manual_seed(0)
    ref = cls.from_preset("small").cuda()
    x = torch.randint(4, V, (8, 256), device="cuda")

    def grads(precision, autocast):
        m = cls.from_preset("small", recurrence_precision=precision).cuda()
        m.load_state_dict(ref.state_dict())
        dtypes = []
        m.rnn.register_forward_hook(lambda mod, args, out: dtypes.append(out[0].dtype))
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast):
            logits = m(x)
        (torch.nn.functional.cross_entropy(logits.float().flatten(0, 1), x.flatten(), reduction="sum") * 1e-6).backward()
        return dtypes[0], torch.cat([p.grad.flatten() for p in m.rnn.parameters()])

    _, exact = grads("fp32", autocast=False)
    dtype, ours = grads("fp32", autocast=True)
    assert dtype == torch.float32
    assert (ours - exact).norm() < 0.05 * exact.norm()  # the lm_head's bf16 matmul is the only difference
    dtype, _ = grads("autocast", autocast=True)
    assert dtype == torch.float16  # torch's cuDNN autocast, whatever dtype it was given (the figures of the
    # gradients it loses: benchmarks/rnn_precision.py)


@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_a_cpu_step_leaves_torchs_onednn_switch_as_it_found_it(cls):
    """The step skips oneDNN inside itself only: training's full-sequence calls, faster on oneDNN, keep it."""
    m = _model(cls)
    before = torch.backends.mkldnn.enabled
    with torch.no_grad():
        m.step(torch.tensor([4, 5]), m.init_state(2))
    assert torch.backends.mkldnn.enabled == before
