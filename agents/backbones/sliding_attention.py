"""Sliding-window attention for training in O(L x window) memory, as a transformers attention implementation.

transformers' ``sdpa`` path builds a 4-D (batch, 1, L, L) sliding-window mask for a training
forward (no cache, no padding mask) and SDPA adds it to the scores: O(L^2) memory, whatever the
window. ``attn_implementation=NAME`` (registered on import, with ``AttentionInterface`` and
``AttentionMaskInterface``) computes the same attention blockwise instead:

- the mask function returns None for a whole-sequence causal pass (query and key spans equal,
  both from position 0, no padded key, the causal skip allowed), so no L x L mask is built, and
  transformers' ``sdpa_mask`` otherwise (a 2-D padding mask, cached decoding, packed sequences);
- the attention function, given no mask, a key span equal to the query span, a causal module and
  ``L > window``, splits the sequence into blocks of ``window`` queries; block ``c`` attends to
  the keys of blocks ``c - 1`` and ``c`` under one fixed (window, 2 * window) boolean mask, in one
  SDPA call over all blocks (block 0, which has no previous block, in a second, causal one). In
  every other case, a mask given (``HFCausalBackbone.step`` passes its own 4-D one, which the mask
  creation hands through untouched) included, it is transformers' ``sdpa_attention_forward``.

Token ``i`` attends to keys ``i - window + 1 .. i`` (Mistral's ``sliding_window``, the current
token included), as with ``sdpa``; the window comes from the ``sliding_window`` keyword that
Mistral's attention passes, else from ``module.config.sliding_window`` (None: full causal
attention, handed to ``sdpa``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

NAME = "sdpa_sliding_chunks"


def _whole_sequence(kwargs: dict) -> bool:
    """True when the mask asked for is the plain causal (sliding) pattern over a whole sequence:
    queries and keys both span positions 0 .. L-1, no key is padding, and the caller allows
    relying on causality instead of a mask. Handles transformers' ``q_length``/``q_offset``
    arguments and the older ``cache_position``."""
    if not kwargs.get("allow_is_causal_skip", False) or kwargs.get("kv_offset", 0) != 0:
        return False
    if "q_length" in kwargs:
        q_length, q_offset = kwargs["q_length"], kwargs.get("q_offset", 0)
    elif kwargs.get("cache_position") is not None:
        q_length, q_offset = kwargs["cache_position"].shape[0], kwargs["cache_position"][0]
    else:
        return False
    if isinstance(q_offset, torch.Tensor):
        if torch.compiler.is_compiling():
            return False
        q_offset = int(q_offset)
    if q_offset != 0 or q_length != kwargs.get("kv_length"):
        return False
    padding = kwargs.get("attention_mask")
    return padding is None or bool(padding[:, :q_length].all())


def sliding_chunks_mask(*args, **kwargs) -> torch.Tensor | None:
    """Mask function for ``NAME`` (the arguments of transformers' ``sdpa_mask``): None for a
    whole-sequence causal pass (see ``_whole_sequence``), else ``sdpa_mask``'s own result."""
    if not args and _whole_sequence(kwargs):
        return None
    return sdpa_mask(*args, **kwargs)


def _window_mask(window: int, device: torch.device) -> torch.Tensor:
    """[window, 2 * window] bool: query ``a`` of a block may see key ``b`` of (previous block,
    this block), i.e. key position ``b - window`` relative to the block: ``a < b <= a + window``."""
    a = torch.arange(window, device=device)[:, None]
    b = torch.arange(2 * window, device=device)[None, :]
    return (b > a) & (b <= a + window)


def sliding_window_attention(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, window: int,
                             scaling: float | None = None, dropout: float = 0.0) -> torch.Tensor:
    """Causal sliding-window attention, blockwise. ``query`` [B, H, L, D], ``key``/``value``
    [B, H, L, D(v)] (heads already repeated for grouped queries) -> [B, H, L, Dv]: position ``i``
    attends to positions ``max(0, i - window + 1) .. i``. Memory O(B * H * L * window)."""
    B, H, L, _ = query.shape
    W = window
    n = -(-L // W)
    if n * W != L:  # pad the end: padded keys come after every real query, so causality hides them
        pad = (0, 0, 0, n * W - L)
        query, key, value = F.pad(query, pad), F.pad(key, pad), F.pad(value, pad)
    q = query.reshape(B, H, n, W, -1)
    k = key.reshape(B, H, n, W, -1)
    v = value.reshape(B, H, n, W, -1)
    Dv = v.shape[-1]
    first = F.scaled_dot_product_attention(q[:, :, 0], k[:, :, 0], v[:, :, 0], dropout_p=dropout,
                                           is_causal=True, scale=scaling)  # [B, H, W, Dv]
    out = first[:, None]  # [B, 1, H, W, Dv]
    if n > 1:
        def blocks(x: torch.Tensor) -> torch.Tensor:  # [B, H, n-1, W', d] -> [B * (n-1), H, W', d]
            return x.transpose(1, 2).reshape(B * (n - 1), H, x.shape[3], x.shape[4])

        kk = torch.cat([k[:, :, :-1], k[:, :, 1:]], dim=3)  # block c-1 then block c: [B, H, n-1, 2W, D]
        vv = torch.cat([v[:, :, :-1], v[:, :, 1:]], dim=3)
        rest = F.scaled_dot_product_attention(blocks(q[:, :, 1:]), blocks(kk), blocks(vv),
                                              attn_mask=_window_mask(W, query.device), dropout_p=dropout,
                                              scale=scaling)  # [B * (n-1), H, W, Dv]
        out = torch.cat([out, rest.view(B, n - 1, H, W, Dv)], dim=1)
    # [B, n, H, W, Dv] -> [B, H, n * W, Dv]
    return out.permute(0, 2, 1, 3, 4).reshape(B, H, n * W, Dv)[:, :, :L]


def sliding_chunks_attention_forward(module: torch.nn.Module, query: torch.Tensor, key: torch.Tensor,
                                     value: torch.Tensor, attention_mask: torch.Tensor | None,
                                     dropout: float = 0.0, scaling: float | None = None,
                                     sliding_window: int | None = None, **kwargs) -> tuple[torch.Tensor, None]:
    """transformers attention function: ``query`` [B, H, Lq, D], ``key``/``value`` [B, Hkv, Lk, D]
    (``module.num_key_value_groups`` = H / Hkv) -> ([B, Lq, H, Dv] contiguous, None). Blockwise
    (``sliding_window_attention``) for a whole-sequence causal pass without a mask longer than the
    window; ``sdpa_attention_forward`` unchanged otherwise."""
    L = query.shape[2]
    if sliding_window is None:  # the mask function returned None for a whole sequence: keep the window
        sliding_window = getattr(getattr(module, "config", None), "sliding_window", None)
    causal = kwargs.get("is_causal")
    causal = getattr(module, "is_causal", True) if causal is None else causal
    if (attention_mask is not None or sliding_window is None or not causal or key.shape[2] != L
            or L <= sliding_window or kwargs.get("position_bias") is not None):
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling,
                                      sliding_window=sliding_window, **kwargs)
    groups = getattr(module, "num_key_value_groups", 1)
    if groups > 1:
        key, value = key.repeat_interleave(groups, dim=1), value.repeat_interleave(groups, dim=1)
    out = sliding_window_attention(query, key, value, sliding_window, scaling=scaling, dropout=dropout)
    return out.transpose(1, 2).contiguous(), None


AttentionInterface.register(NAME, sliding_chunks_attention_forward)
AttentionMaskInterface.register(NAME, sliding_chunks_mask)
