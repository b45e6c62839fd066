"""Mamba-2 on CPU: the chunked SSD and the grouped gated norm against naive code written here,
stepping against the full forward, gradients, configs, presets and mamba-ssm's parameter layout."""

import logging

import pytest
import torch
import torch.nn.functional as F
from pydantic import ValidationError

from agents.backbones import kernels
from agents.backbones.mamba2 import GatedRMSNorm, Mamba2, Mamba2Mixer
from agents.backbones.ssm_ssd import ssd_chunked, ssd_step
from toolenv import vocab

TOL = 1e-4  # float32, absolute, on logits and scan outputs of magnitude ~1


def naive_ssd(x, a, b, c, state):
    """Per head h in group g = h // (H / G): state = exp(a_t) state + x_t b_t^T;  y_t = state c_t."""
    H, G = x.shape[2], b.shape[2]
    b, c = b.repeat_interleave(H // G, dim=2), c.repeat_interleave(H // G, dim=2)
    ys = []
    for t in range(x.shape[1]):
        state = torch.exp(a[:, t, :, None, None]) * state + x[:, t, :, :, None] * b[:, t, :, None, :]
        ys.append((state * c[:, t, :, None, :]).sum(-1))
    return torch.stack(ys, 1), state


def ssd_inputs(bsz, t, h, p, g, n, seed=0, strong=False):
    gen = torch.Generator().manual_seed(seed)
    a = -F.softplus(torch.randn(bsz, t, h, generator=gen) * (4 if strong else 1))
    if strong:
        a = a * 100  # per-step decays down to exp(-1000)
    return (
        torch.randn(bsz, t, h, p, generator=gen),
        a,
        torch.randn(bsz, t, g, n, generator=gen),
        torch.randn(bsz, t, g, n, generator=gen),
        torch.randn(bsz, h, p, n, generator=gen),
    )


@pytest.mark.parametrize("T,chunk", [(1, 16), (13, 16), (50, 16), (64, 32), (100, 64)])
def test_ssd_matches_naive_recurrence(T, chunk):
    x, a, b, c, s0 = ssd_inputs(2, T, 4, 3, 2, 5)
    y, final = ssd_chunked(x, a, b, c, chunk=chunk, initial_state=s0)
    y_ref, final_ref = naive_ssd(x, a, b, c, s0)
    assert (y - y_ref).abs().max() < TOL and (final - final_ref).abs().max() < TOL
    s, steps = s0, []
    for t in range(T):
        yt, s = ssd_step(s, x[:, t], a[:, t], b[:, t], c[:, t])
        steps.append(yt)
    assert (torch.stack(steps, 1) - y_ref).abs().max() < TOL


def test_ssd_gradients_match_naive_with_strong_decays():
    leaves = [t.requires_grad_() for t in ssd_inputs(2, 45, 4, 3, 1, 5, seed=1, strong=True)]
    gy, gs = torch.randn(2, 45, 4, 3), torch.randn(2, 4, 3, 5)
    y, s = ssd_chunked(*leaves[:4], chunk=16, initial_state=leaves[4])
    ours = torch.autograd.grad((y * gy).sum() + (s * gs).sum(), leaves)
    y_ref, s_ref = naive_ssd(*leaves)
    ref = torch.autograd.grad((y_ref * gy).sum() + (s_ref * gs).sum(), leaves)
    for name, g1, g2 in zip(["x", "a", "b", "c", "state"], ours, ref):
        assert torch.isfinite(g1).all(), name
        assert (g1 - g2).abs().max() <= 1e-4 * (1 + g2.abs().max()), name


def test_gated_norm_normalizes_each_group_like_mamba_ssm():
    torch.manual_seed(0)
    norm = GatedRMSNorm(12, group_size=4)
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5)
    x, z = torch.randn(3, 12), torch.randn(3, 12)
    gated = (x * F.silu(z)).view(
        3, 3, 4
    )  # mamba_ssm.ops.triton.layernorm_gated.rms_norm_ref, norm_before_gate=False
    ref = (gated / torch.sqrt(gated.pow(2).mean(-1, keepdim=True) + 1e-5)).view(3, 12) * norm.weight
    assert (norm(x, z) - ref).abs().max() < 1e-5


def _model(**overrides):
    torch.manual_seed(0)
    return Mamba2.from_preset("tiny", **overrides).eval()


@pytest.mark.parametrize("ngroups", [1, 2])
def test_stepping_matches_forward_with_paused_rows(ngroups):
    m = _model(ngroups=ngroups)
    B, T = 4, 70  # several PyTorch SSD chunks (16 steps for these heads), the last one partial
    x = torch.randint(4, vocab.VOCAB_SIZE, (B, T))
    pauses = {0: {3, 4, 40}, 2: set(range(20, 31))}
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
                else:
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
    # shapes of mamba_ssm.modules.mamba2.Mamba2(d_model=64, d_state=16, headdim=16, ngroups=2, expand=2)
    d, h, n, g = 128, 8, 16, 2
    conv_dim = d + 2 * g * n
    expected = {
        "in_proj.weight": (2 * d + 2 * g * n + h, 64),
        "conv1d.weight": (conv_dim, 1, 4),
        "conv1d.bias": (conv_dim,),
        "dt_bias": (h,),
        "A_log": (h,),
        "D": (h,),
        "norm.weight": (d,),
        "out_proj.weight": (64, d),
    }
    mixer = Mamba2Mixer(Mamba2.config_class(d_model=64, d_state=16, headdim=16, ngroups=2))
    assert {k: tuple(v.shape) for k, v in mixer.state_dict().items()} == expected
    assert mixer.norm.group_size == d // g
    assert ((-torch.exp(mixer.A_log) <= -1) & (-torch.exp(mixer.A_log) >= -16)).all()  # A_init_range (1, 16)


@pytest.mark.parametrize(
    "bad,match",
    [
        ({"headdim": 48}, "divisible by headdim"),
        ({"ngroups": 3}, "divisible by ngroups"),
        ({"d_state": 0}, "d_state"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"dt_min": 1.0}, "dt_min"),
        ({"n_layers": 0}, "n_layers"),
        ({"nope": 1}, "nope"),
    ],
)
def test_bad_config_names_the_problem(bad, match):
    with pytest.raises(ValidationError, match=match):
        Mamba2.from_preset("tiny", **bad)


def test_presets_build_and_paper_has_the_130m_stack():
    assert Mamba2.from_preset("tiny").num_parameters() < Mamba2.from_preset("small").num_parameters()
    with torch.device("meta"):
        paper = Mamba2.from_preset("paper")
    assert paper.mixers[0].nheads == 24 and paper.config.d_state == 128
    stack = paper.num_parameters() - paper.embedding.weight.numel()
    assert 85e6 < stack < 95e6, stack  # + the paper's 38.6M-parameter 50k-token embedding = ~130M


def test_pytorch_fallback_is_logged_once(caplog, monkeypatch):
    monkeypatch.setattr(kernels, "_reported", set())
    m = _model()
    x = torch.randint(4, vocab.VOCAB_SIZE, (1, 5))
    with caplog.at_level(logging.INFO, logger="toolenv"), torch.no_grad():
        m(x)
        m.step(x[:, 0], m.init_state(1))
    records = [r for r in caplog.records if r.name == "toolenv" and "mamba2 on cpu" in r.getMessage()]
    assert len(records) == 1 and records[0].levelno == logging.WARNING


def test_ssd_rejects_mismatched_shapes():
    x, a, b, c, _ = ssd_inputs(2, 10, 4, 3, 2, 5)
    with pytest.raises(ValueError, match="do not fit"):
        ssd_chunked(x, a, b[:, :, :1], c)
    with pytest.raises(ValueError, match="G dividing H"):
        ssd_chunked(x, a, torch.randn(2, 10, 3, 5), torch.randn(2, 10, 3, 5))
