"""Mamba-1 on CPU: the chunked selective scan and the conv against naive code written here,
stepping against the full forward, gradients, configs, presets and mamba-ssm's parameter layout."""

import logging

import pytest
import torch
import torch.nn.functional as F
from pydantic import ValidationError

from agents.backbones import kernels
from agents.backbones.mamba import Mamba, MambaMixer
from agents.backbones.ssm_conv import causal_conv1d_silu, causal_conv1d_silu_step
from agents.backbones.ssm_scan import selective_scan, selective_scan_step
from toolenv import vocab

TOL = 1e-4  # float32, absolute, on logits and scan outputs of magnitude ~1


def naive_scan(u, delta, A, B, C, h):
    """h_t = exp(delta_t A) h_{t-1} + u_t B_t;  y_t = h_t C_t, one step at a time."""
    ys = []
    for t in range(u.shape[1]):
        h = torch.exp(delta[:, t, :, None] * A) * h + u[:, t, :, None] * B[:, t, None, :]
        ys.append((h * C[:, t, None, :]).sum(-1))
    return torch.stack(ys, 1), h


def scan_inputs(b, t, d, n, dtype=torch.float32, seed=0, strong=False):
    g = torch.Generator().manual_seed(seed)
    delta = F.softplus(torch.randn(b, t, d, generator=g, dtype=dtype) * (3 if strong else 1) - 1)
    A = -torch.exp(torch.randn(d, n, generator=g, dtype=dtype) + (2 if strong else 0))
    return (
        torch.randn(b, t, d, generator=g, dtype=dtype),
        delta,
        A,
        torch.randn(b, t, n, generator=g, dtype=dtype),
        torch.randn(b, t, n, generator=g, dtype=dtype),
        torch.randn(b, d, n, generator=g, dtype=dtype),
    )


@pytest.mark.parametrize("T,chunk", [(1, 8), (7, 8), (37, 8), (64, 16), (100, 32)])
def test_scan_matches_naive_recurrence(T, chunk):
    u, delta, A, B, C, h0 = scan_inputs(2, T, 6, 5)
    y, final = selective_scan(u, delta, A, B, C, h0, chunk=chunk)
    y_ref, final_ref = naive_scan(u, delta, A, B, C, h0)
    assert (y - y_ref).abs().max() < TOL
    assert (final - final_ref).abs().max() < TOL
    y0, _ = selective_scan(u, delta, A, B, C)  # no initial state means zeros
    assert (y0 - naive_scan(u, delta, A, B, C, torch.zeros_like(h0))[0]).abs().max() < TOL


def test_scan_gradients_match_autograd_of_naive_recurrence_with_strong_decays():
    # decays down to exp(-1000) per step: no overflow, no NaN, same gradients in float32
    leaves = [t.requires_grad_() for t in scan_inputs(3, 45, 8, 4, seed=1, strong=True)]
    gy, gh = torch.randn(3, 45, 8), torch.randn(3, 8, 4)
    y, h = selective_scan(*leaves, chunk=8)
    ours = torch.autograd.grad((y * gy).sum() + (h * gh).sum(), leaves)
    y_ref, h_ref = naive_scan(*leaves)
    ref = torch.autograd.grad((y_ref * gy).sum() + (h_ref * gh).sum(), leaves)
    for name, a, b in zip(["u", "delta", "A", "B", "C", "h0"], ours, ref):
        assert torch.isfinite(a).all(), name
        assert (a - b).abs().max() <= 1e-4 * (1 + b.abs().max()), name


def test_scan_gradcheck_float64():
    leaves = [t.requires_grad_() for t in scan_inputs(2, 7, 3, 2, dtype=torch.float64, seed=2)]
    assert torch.autograd.gradcheck(lambda *a: selective_scan(*a, chunk=3), leaves)


def test_scan_step_is_one_step_of_the_scan():
    u, delta, A, B, C, h0 = scan_inputs(2, 1, 6, 5, seed=3)
    y, h = selective_scan_step(h0, u[:, 0], delta[:, 0], A, B[:, 0], C[:, 0])
    y_ref, h_ref = naive_scan(u, delta, A, B, C, h0)
    assert (y - y_ref[:, 0]).abs().max() < TOL and (h - h_ref).abs().max() < TOL


def test_scan_rejects_mismatched_shapes():
    u, delta, A, B, C, _ = scan_inputs(2, 5, 6, 5)
    with pytest.raises(ValueError, match="do not fit"):
        selective_scan(u, delta, A, B[:, :, :3], C)


@pytest.mark.parametrize("T", [1, 2, 3, 50])
def test_causal_conv_matches_conv1d_and_steps(T):
    torch.manual_seed(0)
    conv = torch.nn.Conv1d(5, 5, 4, groups=5, padding=3).double()
    x = torch.randn(2, T, 5, dtype=torch.float64, requires_grad=True)
    ref = F.silu(conv(x.transpose(1, 2))[..., :T].transpose(1, 2))
    out = causal_conv1d_silu(x, conv.weight, conv.bias)
    assert (out - ref).abs().max() < 1e-10
    assert torch.autograd.gradcheck(causal_conv1d_silu, (x, conv.weight, conv.bias))
    state, steps = torch.zeros(2, 5, 4, dtype=torch.float64), []
    for t in range(T):
        y, state = causal_conv1d_silu_step(state, x[:, t], conv.weight, conv.bias)
        steps.append(y)
    assert (torch.stack(steps, 1) - ref).abs().max() < 1e-10


def _model(**overrides):
    torch.manual_seed(0)
    return Mamba.from_preset("tiny", **overrides).eval()


def test_stepping_matches_forward_with_paused_rows():
    m = _model(d_state=8)
    B, T = 4, 30
    x = torch.randint(4, vocab.VOCAB_SIZE, (B, T))
    pauses = {1: {0, 4, 5, 17}, 3: set(range(10, 16))}  # row -> global steps where it consumes nothing
    with torch.no_grad():
        full = m(x)
        state, got, pos, t = m.init_state(B), [[] for _ in range(B)], [0] * B, 0
        while min(pos) < T:
            mask = torch.tensor([pos[b] < T and t not in pauses.get(b, ()) for b in range(B)])
            tokens = torch.tensor([int(x[b, min(pos[b], T - 1)]) for b in range(B)])
            before = [[s.clone() for s in layer] for layer in state]
            logits, state = m.step(tokens, state, mask)
            for b in range(B):
                if mask[b]:
                    got[b].append(logits[b])
                    pos[b] += 1
                else:  # a paused row's state is exactly what it was
                    assert all(
                        torch.equal(o[b], n[b]) for lo, ln in zip(before, state) for o, n in zip(lo, ln)
                    )
            t += 1
    for b in range(B):
        assert (torch.stack(got[b]) - full[b]).abs().max() < TOL


def test_backward_reaches_every_parameter():
    m = _model().train()
    x = torch.randint(4, vocab.VOCAB_SIZE, (2, 40))
    F.cross_entropy(m(x[:, :-1]).flatten(0, 1), x[:, 1:].flatten()).backward()
    for name, p in m.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def test_parameter_layout_matches_mamba_ssm():
    # shapes of mamba_ssm.modules.mamba_simple.Mamba(d_model=64, d_state=16, d_conv=4, expand=2)
    d, n, r = 128, 16, 4
    expected = {
        "in_proj.weight": (2 * d, 64),
        "conv1d.weight": (d, 1, 4),
        "conv1d.bias": (d,),
        "x_proj.weight": (r + 2 * n, d),
        "dt_proj.weight": (d, r),
        "dt_proj.bias": (d,),
        "A_log": (d, n),
        "D": (d,),
        "out_proj.weight": (64, d),
    }
    mixer = MambaMixer(Mamba.config_class(d_model=64, d_state=16))
    assert {k: tuple(v.shape) for k, v in mixer.state_dict().items()} == expected
    assert torch.allclose(-torch.exp(mixer.A_log[0]), -torch.arange(1.0, 17.0))  # S4D-real init


@pytest.mark.parametrize(
    "bad,match",
    [
        ({"d_state": 0}, "d_state"),
        ({"d_conv": 5}, "d_conv"),
        ({"dt_min": 0.5, "dt_max": 0.1}, "dt_min"),
        ({"d_model": 0}, "d_model"),
        ({"expand": 0}, "expand"),
        ({"nope": 1}, "nope"),
    ],
)
def test_bad_config_names_the_problem(bad, match):
    with pytest.raises(ValidationError, match=match):
        Mamba.from_preset("tiny", **bad)


def test_presets_build_and_paper_has_mamba_130m_stack():
    tiny, small = Mamba.from_preset("tiny"), Mamba.from_preset("small")
    assert tiny.num_parameters() < small.num_parameters()
    with torch.device("meta"):
        paper = Mamba.from_preset("paper")
    # Mamba-130M is 129M parameters with its 50,280-token tied embedding (38.6M at d_model 768);
    # with toolenv's vocabulary the same 24 x 768 stack is the rest.
    stack = paper.num_parameters() - paper.embedding.weight.numel()
    assert 88e6 < stack < 93e6, stack
    assert 128e6 < stack + 50280 * 768 < 131e6


def test_pytorch_fallback_is_logged_once(caplog, monkeypatch):
    monkeypatch.setattr(kernels, "_reported", set())
    m = _model()
    x = torch.randint(4, vocab.VOCAB_SIZE, (1, 5))
    with caplog.at_level(logging.INFO, logger="toolenv"), torch.no_grad():
        m(x)
        m(x)
        m.step(x[:, 0], m.init_state(1))
    records = [r for r in caplog.records if r.name == "toolenv" and "mamba on cpu" in r.getMessage()]
    assert len(records) == 1 and records[0].levelno == logging.WARNING
    assert "PyTorch" in records[0].getMessage()
