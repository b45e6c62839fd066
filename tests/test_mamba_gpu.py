"""On CUDA, mamba-ssm's kernels agree with our PyTorch paths (marked gpu; skipped without CUDA).

Each test skips, naming the import error, when a kernel it needs is not importable: mamba-ssm's
Triton kernels need only ``pip install mamba-ssm`` (even without its compiled extension, see
agents/backbones/kernels.py); ``selective_scan_fn`` needs the compiled ``selective_scan_cuda``.
Run with ``pytest -m gpu -ra tests/test_mamba_gpu.py`` to see every skip's reason.

Tolerances (stated per test): op-level float32 ones are mamba-ssm's own test tolerances
(tests/ops/...: selective scan rtol 6e-4 atol 2e-3, state update rtol 3e-4 atol 1e-3, SSD rtol
1e-2 atol 3e-3, the Triton SSD using TF32 dot products); model logits in float32 within 2e-3 of
the largest logit (+1e-3), bfloat16 models within 5e-2 of the float32 PyTorch reference.
"""

import pytest
import torch
import torch.nn.functional as F

from agents.backbones import kernels
from agents.backbones.mamba import Mamba
from agents.backbones.mamba2 import GatedRMSNorm, Mamba2
from agents.backbones.ssm_scan import selective_scan, selective_scan_step
from agents.backbones.ssm_ssd import ssd_chunked, ssd_step
from toolenv import vocab

pytestmark = pytest.mark.gpu
DEV = "cuda"


def need(*names: str) -> None:
    missing = [n for n in names if getattr(kernels, n) is None]
    if missing:
        pytest.skip("not importable: " + "; ".join(f"{n} ({kernels.IMPORT_ERRORS.get(n)})" for n in missing))


def close(a: torch.Tensor, b: torch.Tensor, rtol: float, atol: float) -> bool:
    return torch.allclose(a.float(), b.float(), rtol=rtol, atol=atol)


def rel_err(a: torch.Tensor, ref: torch.Tensor) -> float:
    return ((a.float() - ref.float()).abs().max() / ref.float().abs().max()).item()


# ----- ops ---------------------------------------------------------------------------------------


def test_selective_scan_fn_matches_pytorch_scan_values_and_gradients():
    need("selective_scan_fn")
    torch.manual_seed(0)
    b, d, n, t = 2, 64, 16, 301
    x = torch.randn(b, t, d, device=DEV)
    delta = F.softplus(torch.randn(b, t, d, device=DEV) - 2)
    A = -0.5 - torch.rand(d, n, device=DEV) * 4
    B, C = torch.randn(b, t, n, device=DEV), torch.randn(b, t, n, device=DEV)
    leaves = [v.clone().requires_grad_() for v in (x, delta, A, B, C)]
    ref_leaves = [v.clone().requires_grad_() for v in (x, delta, A, B, C)]
    y_k, last_k = kernels.selective_scan_fn(  # kernel layout: [B, D, L] and [B, N, L]; it multiplies by delta
        *(v.transpose(1, 2) for v in leaves[:2]),
        leaves[2],
        *(v.transpose(1, 2) for v in leaves[3:]),
        return_last_state=True,
    )
    xr, dr, Ar, Br, Cr = ref_leaves
    y_r, last_r = selective_scan(dr * xr, dr, Ar, Br, Cr)
    assert close(y_k.transpose(1, 2), y_r, 6e-4, 2e-3) and close(last_k, last_r, 6e-4, 2e-3)
    gy = torch.randn_like(y_r)
    (y_k.transpose(1, 2) * gy).sum().backward()
    (y_r * gy).sum().backward()
    for name, k, r in zip(["x", "delta", "A", "B", "C"], leaves, ref_leaves):
        assert rel_err(k.grad, r.grad) < 2e-3, name


def test_selective_state_update_matches_pytorch_step():
    need("selective_state_update")
    torch.manual_seed(0)
    b, d, n = 3, 64, 16
    state = torch.randn(b, d, n, device=DEV)
    x, dt = torch.randn(b, d, device=DEV), F.softplus(torch.randn(b, d, device=DEV) - 2)
    A = -0.5 - torch.rand(d, n, device=DEV) * 4
    B, C = torch.randn(b, n, device=DEV), torch.randn(b, n, device=DEV)
    y_r, state_r = selective_scan_step(state, dt * x, dt, A, B, C)
    state_k = state.clone()
    zero = torch.zeros(d, device=DEV)  # mamba-ssm 2.3.2 reads D.stride() and dt_bias.stride() even when None
    y_k = kernels.selective_state_update(state_k, x, dt, A, B, C, D=zero, dt_bias=zero)
    assert close(y_k, y_r, 3e-4, 1e-3) and close(state_k, state_r, 3e-4, 1e-3)


@pytest.mark.parametrize("ngroups", [1, 2])
def test_mamba_chunk_scan_combined_matches_pytorch_ssd(ngroups):
    need("mamba_chunk_scan_combined", "selective_state_update")
    torch.manual_seed(0)
    b, t, h, p, n = 2, 300, 4, 32, 16  # 300 is not a multiple of either chunk size
    x = torch.randn(b, t, h, p, device=DEV)
    dt = F.softplus(torch.randn(b, t, h, device=DEV) - 2)
    A = -torch.empty(h, device=DEV).uniform_(1, 16)
    B, C = torch.randn(b, t, ngroups, n, device=DEV) / 3, torch.randn(b, t, ngroups, n, device=DEV) / 3
    leaves = [v.clone().requires_grad_() for v in (x, dt, B, C)]
    ref = [v.clone().requires_grad_() for v in (x, dt, B, C)]
    y_k, last_k = kernels.mamba_chunk_scan_combined(
        leaves[0], leaves[1], A, leaves[2], leaves[3], chunk_size=128, return_final_states=True
    )
    xr, dtr, Br, Cr = ref
    y_r, last_r = ssd_chunked(xr * dtr[..., None], dtr * A, Br, Cr, chunk=64)
    assert close(y_k, y_r, 1e-2, 3e-3) and close(last_k, last_r, 1e-2, 3e-3)
    gy = torch.randn_like(y_r)
    (y_k * gy).sum().backward()
    (y_r * gy).sum().backward()
    for name, k, r in zip(["x", "dt", "B", "C"], leaves, ref):
        assert rel_err(k.grad, r.grad) < 1e-2, name
    # one decoding step from the final state, Triton vs PyTorch (per-head scalars broadcast over headdim)
    xs, dts = torch.randn(b, h, p, device=DEV), F.softplus(torch.randn(b, h, device=DEV) - 2)
    Bs, Cs = torch.randn(b, ngroups, n, device=DEV), torch.randn(b, ngroups, n, device=DEV)
    s_k = last_r.detach().clone()
    y_sk = kernels.selective_state_update(
        s_k,
        xs,
        dts[..., None].expand(-1, -1, p),
        A[:, None, None].expand(-1, p, n),
        Bs,
        Cs,
        D=torch.zeros(h, p, device=DEV),  # None would crash mamba-ssm 2.3.2
        dt_bias=torch.zeros(h, device=DEV)[:, None].expand(-1, p),
    )
    y_sr, s_r = ssd_step(last_r.detach(), xs * dts[..., None], dts * A, Bs, Cs)
    assert close(y_sk, y_sr, 3e-4, 1e-3) and close(s_k, s_r, 3e-4, 1e-3)


def test_triton_gated_rmsnorm_matches_pytorch():
    need("rmsnorm_fn")
    torch.manual_seed(0)
    norm = GatedRMSNorm(256, group_size=64).to(DEV)
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5)
    x, z = torch.randn(4, 50, 256, device=DEV), torch.randn(4, 50, 256, device=DEV)
    assert close(norm(x, z, use_kernel=True), norm(x, z), 1e-4, 1e-4)


# ----- whole models ------------------------------------------------------------------------------

MODELS = [
    (Mamba, ("selective_scan_fn", "selective_state_update")),
    (Mamba2, ("mamba_chunk_scan_combined", "selective_state_update", "rmsnorm_fn")),
]


def _pair(cls, size="small"):
    torch.manual_seed(0)
    fast = cls.from_preset(size, use_kernels=True).to(DEV).eval()
    slow = cls.from_preset(size, use_kernels=False).to(DEV).eval()
    slow.load_state_dict(fast.state_dict())
    return fast, slow


def _logits_close(a: torch.Tensor, ref: torch.Tensor, rel: float) -> bool:
    return bool(((a.float() - ref.float()).abs().max() <= rel * ref.float().abs().max() + 1e-3).item())


@pytest.mark.parametrize("cls,needed", MODELS, ids=["mamba", "mamba2"])
def test_kernel_forward_and_backward_match_pytorch_path(cls, needed):
    need(*needed)
    fast, slow = _pair(cls)
    x = torch.randint(4, vocab.VOCAB_SIZE, (4, 300), device=DEV)
    lf, ls = fast(x), slow(x)
    assert _logits_close(lf, ls, 2e-3), rel_err(lf, ls)
    lf.float().logsumexp(-1).mean().backward()
    ls.float().logsumexp(-1).mean().backward()
    for (name, pf), (_, ps) in zip(fast.named_parameters(), slow.named_parameters()):
        assert rel_err(pf.grad, ps.grad) < 2e-2, name


STEP_MODELS = [(Mamba, ("selective_state_update",)), (Mamba2, ("selective_state_update", "rmsnorm_fn"))]


@pytest.mark.parametrize("cls,needed", STEP_MODELS, ids=["mamba", "mamba2"])
def test_kernel_step_matches_pytorch_step_and_forward_with_mask(cls, needed):
    need(*needed)
    fast, slow = _pair(cls)
    B, T = 4, 48
    x = torch.randint(4, vocab.VOCAB_SIZE, (B, T), device=DEV)
    with torch.no_grad():
        full = slow(x)
        sf, ss = fast.init_state(B, DEV), slow.init_state(B, DEV)
        outs_f, outs_s = [], []
        for t in range(T):  # row 1 pauses every third step after step 30; its outputs there are not compared
            mask = torch.tensor([True, t <= 30 or t % 3 != 0, True, True], device=DEV)
            lf, sf = fast.step(x[:, t], sf, mask)
            ls, ss = slow.step(x[:, t], ss, mask)
            outs_f.append(lf)
            outs_s.append(ls)
    f, s = torch.stack(outs_f, 1), torch.stack(outs_s, 1)
    assert _logits_close(f, s, 2e-3), rel_err(f, s)
    assert _logits_close(s[:, :31], full[:, :31], 2e-3)
    assert _logits_close(f[[0, 2, 3]], full[[0, 2, 3]], 2e-3)  # rows that never paused
    for layer_f, layer_s in zip(sf, ss):
        for a, b in zip(layer_f, layer_s):
            assert close(a, b, 1e-3, 1e-3)


@pytest.mark.parametrize("cls,needed", MODELS, ids=["mamba", "mamba2"])
def test_bfloat16_kernel_model_tracks_float32_reference(cls, needed):
    need(*needed)
    fast, slow = _pair(cls)
    fast = fast.to(torch.bfloat16)
    x = torch.randint(4, vocab.VOCAB_SIZE, (4, 256), device=DEV)
    with torch.no_grad():
        ref = slow(x)
        assert _logits_close(fast(x), ref, 5e-2), rel_err(fast(x), ref)
        state, steps = fast.init_state(4, DEV), []
        for t in range(32):
            logits, state = fast.step(x[:, t], state)
            steps.append(logits)
    assert _logits_close(torch.stack(steps, 1), ref[:, :32], 5e-2)
