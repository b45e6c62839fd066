"""The CPU scans against a naive per-step recurrence written here."""

import torch

from agents.backbones.linear_scan import linear_scan
from agents.backbones.ssd import ssd_chunked, ssd_step


def test_ssd_chunked_matches_naive_recurrence():
    torch.manual_seed(0)
    for T, chunk in [(1, 4), (7, 4), (33, 8), (64, 64)]:
        B, H, P, G, N = 2, 4, 3, 2, 5
        x, a = torch.randn(B, T, H, P), -torch.rand(B, T, H)
        b, c = torch.randn(B, T, G, N), torch.randn(B, T, G, N)
        h0 = torch.randn(B, H, P, N)
        y, final = ssd_chunked(x, a, b, c, chunk=chunk, initial_state=h0)
        state, ys = h0.clone(), []
        for t in range(T):
            for h in range(H):
                g = h // (H // G)
                state[:, h] = torch.exp(a[:, t, h])[:, None, None] * state[:, h] + x[:, t, h, :, None] * b[:, t, g, None, :]
            ys.append(torch.stack([state[:, h] @ c[:, t, h // (H // G)][..., None] for h in range(H)], 1)[..., 0])
        assert torch.allclose(y, torch.stack(ys, 1), atol=1e-4), (T, chunk)
        assert torch.allclose(final, state, atol=1e-4)
        s2, y2 = h0.clone(), []
        for t in range(T):
            yt, s2 = ssd_step(s2, x[:, t], a[:, t], b[:, t], c[:, t])
            y2.append(yt)
        assert torch.allclose(torch.stack(y2, 1), y, atol=1e-4)


def test_linear_scan_matches_naive_recurrence_and_gradcheck():
    torch.manual_seed(0)
    a, b, h0 = torch.rand(2, 9, 3, 4), torch.randn(2, 9, 3, 4), torch.randn(2, 3, 4)
    h, naive = linear_scan(a, b, h0), []
    prev = h0
    for t in range(9):
        prev = a[:, t] * prev + b[:, t]
        naive.append(prev)
    assert torch.allclose(h, torch.stack(naive, 1), atol=1e-6)
    args = [t.double().requires_grad_() for t in (a[:, :5, :2], b[:, :5, :2], h0[:, :2])]
    assert torch.autograd.gradcheck(linear_scan, args)
