"""Shared base for the Transformer backbones built from transformers' causal LMs (no pretrained weights).

Training runs the model's own full causal forward (with its sliding-window mask, if it has one).

Stepping keeps a KV cache whose slots are per row: ``KVState.slot_positions[b, s]`` is the position
of row ``b``'s real token held in slot ``s``, or -1 for an empty slot. A row that is paused
(mask False) feeds a [PAD] that is never written to a slot, and its position does not advance.
The attention mask of each step is built here (4-D) from those positions, so every row
attends to exactly its own tokens at its own positions, as if it ran alone:

- full attention (``window=None``): one slot is appended per step (-1 for paused rows), like
  transformers' ``DynamicCache``;
- sliding window ``W``: each row keeps its last ``W`` tokens in a ring of ``W`` slots (a new
  token overwrites the row's first empty slot, else its oldest one), so memory stays fixed however
  long the episode and however many pauses it has. transformers' ``DynamicSlidingWindowLayer``
  (what ``DynamicCache(config=...)`` builds for Mistral) keeps the last ``W - 1`` slots, but it
  counts slots, not a row's tokens: a paused row would lose tokens still inside its window.

The cache is updated in place (out of place while autograd records): after ``step`` only the
returned state is valid.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import ClassVar

import torch
from transformers import Cache, PreTrainedConfig, PreTrainedModel
from transformers.cache_utils import CacheLayerMixin

from agents.backbone import Backbone
from toolenv import vocab


class _RowCache(Cache):
    """KV cache with per-row slots. Before each step the backbone sets ``slot`` [B] (the slot each
    row's new key/value goes to, ring mode) and ``active`` [B] (rows that write), or ``slot=None``
    to append one slot for every row (full attention)."""

    def __init__(self, n_layers: int) -> None:
        super().__init__(layers=[_RowLayer(self) for _ in range(n_layers)])
        self.slot: torch.Tensor | None = None
        self.active: torch.Tensor | None = None
        self.size = 0  # ring mode: number of slots this step


class _RowLayer(CacheLayerMixin):
    def __init__(self, owner: _RowCache) -> None:
        super().__init__()
        self.owner = owner
        self._key_buffer: torch.Tensor | None = None  # full attention: the storage behind keys/values
        self._value_buffer: torch.Tensor | None = None

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        self.device = key_states.device
        self.keys = key_states[..., :0, :]
        self.values = value_states[..., :0, :]
        self.is_initialized = True

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs):
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        o = self.owner
        if o.slot is None:
            self._key_buffer, self.keys = _append(self._key_buffer, self.keys, key_states)
            self._value_buffer, self.values = _append(self._value_buffer, self.values, value_states)
            return self.keys, self.values
        self.keys = _write(self.keys, key_states, o.slot, o.active, o.size)
        self.values = _write(self.values, value_states, o.slot, o.active, o.size)
        return self.keys, self.values

    def get_mask_sizes(self, query_length: int) -> tuple[int, int]:
        return self.get_seq_length() + query_length, 0

    def get_seq_length(self) -> int:
        return 0 if self.keys is None else self.keys.shape[-2]

    def get_max_length(self) -> int:
        return -1


def _append(buffer: torch.Tensor | None, cached: torch.Tensor, new: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor]:
    """``cat([cached, new], dim=-2)`` in amortized O(new) time: returns ``(buffer, view)`` where
    ``view`` (the grown cache) is the first slots of ``buffer``, whose capacity grows 1.5x when full,
    so appending one slot per step does not copy the whole cache every step (which made a
    37k-token episode quadratic). ``buffer`` is the one this function returned last time (None at
    first). Out of place while autograd records (the old cache may be saved for backward)."""
    used, extra = cached.shape[-2], new.shape[-2]
    if torch.is_grad_enabled():
        return None, torch.cat([cached, new], dim=-2)
    if buffer is None or cached.data_ptr() != buffer.data_ptr() or buffer.shape[-2] < used + extra:
        # 1.5x: amortized O(1) per slot, and at most half the cache unused (a Transformer's cache at
        # 1,000 logical-graph gates is ~50 GB at 16 rows)
        buffer = cached.new_empty(*cached.shape[:-2], max(64, 3 * (used + extra) // 2), cached.shape[-1])
        buffer[..., :used, :] = cached
    buffer[..., used : used + extra, :] = new
    return buffer, buffer[..., : used + extra, :]


def _write(buf: torch.Tensor, new: torch.Tensor, slot: torch.Tensor, active: torch.Tensor, size: int) -> torch.Tensor:
    """``buf[b, :, slot[b]] = new[b, :, 0]`` for active rows, after growing ``buf`` to ``size``
    slots; in place unless autograd is recording (then the old cache may be saved for backward)."""
    if buf.shape[-2] < size:
        buf = torch.cat([buf, buf.new_zeros(*buf.shape[:2], size - buf.shape[-2], buf.shape[-1])], dim=-2)
    index = slot.view(-1, 1, 1, 1).expand(-1, buf.shape[1], 1, buf.shape[-1])
    new = torch.where(active.view(-1, 1, 1, 1), new, buf.gather(2, index))
    return buf.scatter(2, index, new) if torch.is_grad_enabled() else buf.scatter_(2, index, new)


@dataclass
class KVState:
    cache: Cache
    slot_positions: torch.Tensor  # [B, slots] position of the row's token in each slot, -1 if empty
    positions: torch.Tensor  # [B] real tokens so far (the position of the next one)


class HFCausalBackbone(Backbone):
    """Subclasses set ``model_class`` and call ``build(hf_config)`` in ``__init__``; ``window`` is the
    sliding attention window in tokens, each token included (None: full causal attention)."""

    model_class: ClassVar[type[PreTrainedModel]]

    @property
    def window(self) -> int | None:
        return None

    def build(self, hf_config: PreTrainedConfig) -> None:
        self.model = self.model_class(hf_config)
        # transformers renamed `past_key_values` to `cache` in 5.x (old name deprecated until 5.40)
        params = inspect.signature(self.model.forward).parameters
        self._cache_kw = "cache" if "cache" in params else "past_key_values"

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=tokens, use_cache=False).logits

    def init_state(self, batch_size: int, device: torch.device | str = "cpu") -> KVState:
        device = torch.device(device)
        return KVState(_RowCache(self.model.config.num_hidden_layers),
                       torch.zeros(batch_size, 0, dtype=torch.long, device=device),
                       torch.zeros(batch_size, dtype=torch.long, device=device))

    def step(self, tokens: torch.Tensor, state: KVState, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, KVState]:
        if mask is None:
            mask = torch.ones_like(tokens, dtype=torch.bool)
        tokens = torch.where(mask, tokens, torch.full_like(tokens, vocab.PAD))
        pos, slots = state.positions, state.slot_positions
        cache = state.cache
        if self.window is None:
            cache.slot = None
            slots = torch.cat([slots, torch.where(mask, pos, -1)[:, None]], dim=1)
            visible = slots >= 0
        else:
            # a ring of `window` slots per row: the new token overwrites the row's first empty
            # slot, else its oldest token (position p - window, just out of the window of p)
            if slots.shape[1] < self.window:
                slots = torch.cat([slots, torch.full_like(pos[:, None], -1)], dim=1)
            cache.slot, cache.active, cache.size = slots.argmin(1), mask, slots.shape[1]
            slots = _write(slots[:, None, :, None], pos.view(-1, 1, 1, 1), cache.slot, mask, 0)[:, 0, :, 0]
            visible = (slots >= 0) & (slots > (pos - self.window)[:, None])
        # a paused row's [PAD] may look at all of its slots: its output is discarded, and it must
        # not attend to nothing (NaN)
        visible |= ~mask[:, None]
        attention = visible[:, None, None, :]  # [B, 1, query, slots], used as is by transformers
        if self.model.config._attn_implementation == "eager":  # eager adds the mask to the scores
            dtype = self.model.get_input_embeddings().weight.dtype
            attention = torch.zeros(attention.shape, dtype=dtype, device=attention.device).masked_fill_(
                ~attention, torch.finfo(dtype).min)
        out = self.model(input_ids=tokens[:, None], attention_mask=attention, position_ids=pos[:, None],
                         use_cache=True, **{self._cache_kw: state.cache})
        return out.logits[:, -1], KVState(cache, slots, pos + mask.long())
