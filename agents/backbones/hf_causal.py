"""Shared base for the Transformer backbones built from transformers' causal LMs (no pretrained weights).

Training runs the model's own full causal forward (with its sliding-window mask, if it has one).

Stepping keeps a KV cache in preallocated buffers, one ``[B, heads, capacity, head_dim]`` pair per
layer, whose slots are per row: ``KVState.slot_positions[b, s]`` is the position of row ``b``'s
real token held in slot ``s``, or -1 for an empty slot. A row that is paused (mask False) feeds a
[PAD] that is never visible in a slot, and its position does not advance. The attention mask of
each step is built here (4-D) from those positions, so every row attends to exactly its own
tokens at its own positions, as if it ran alone:

- full attention (``window=None``): every step writes slot ``used`` of every row (-1 for paused
  rows), like transformers' ``DynamicCache``; the capacity grows 1.5x when full (amortized O(1)
  per step, at most a third of it unused: a 37k-token Hanoi episode was quadratic when the cache
  was copied at every step);
- sliding window ``W``: each row keeps its last ``W`` tokens in a ring of ``W`` slots (a new
  token overwrites the row's first empty slot, else its oldest one), so memory stays fixed however
  long the episode and however many pauses it has. transformers' ``DynamicSlidingWindowLayer``
  (what ``DynamicCache(config=...)`` builds for Mistral) keeps the last ``W - 1`` slots, but it
  counts slots, not a row's tokens: a paused row would lose tokens still inside its window.

CUDA graphs (``Backbone.fixed_state``): a step does no host work and keeps every state tensor's
shape as long as ``reserve(state, n)`` made room for its ``n`` steps, so ``toolenv.rollout``
replays captured steps and calls ``reserve`` between replays (the only place a full-attention
cache grows then; the state is a pytree of its tensors). On CUDA a step attends over the whole
capacity (empty slots masked), so eager and captured steps run the same kernels on the same
shapes; on the CPU it attends over the used slots only.

Decoding attention on CUDA (``decode_attention()``, environment variable
``TOOLENV_DECODE_ATTENTION``): a step's query is one token against up to the whole capacity.
``math`` (the default) runs it as two batched matrix products and a softmax; ``sdpa`` lets
PyTorch pick its fused kernel (the memory-efficient one, for a masked fp32 query), which read the
cache at ~300 GB/s at every size on an H200 where ``math`` reached 1,350 GB/s: 2.6-4.6x slower
steps at 4k-65k slots (``benchmarks/decode_attention.py``, docs/gpu.md).
Both compute the same attention in fp32 (GPU test); the CPU and training are untouched.

The cache is updated in place (out of place while autograd records): after ``step`` only the
returned state is valid.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import weakref
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils import _pytree as pytree
from transformers import Cache, PreTrainedConfig, PreTrainedModel
from transformers.cache_utils import CacheLayerMixin

from agents.backbone import Backbone
from toolenv import vocab
from toolenv.errors import ToolEnvError

_FIRST_CAPACITY = 64  # full attention: slots allocated at first, then grown 1.5x when full

DECODE_ATTENTION_ENV = "TOOLENV_DECODE_ATTENTION"
DECODE_ATTENTION = {"math": [SDPBackend.MATH], "sdpa": None}  # name -> sdpa backends (None: PyTorch's choice)


def decode_attention() -> str:
    """The attention kernel of CUDA decoding steps: ``$TOOLENV_DECODE_ATTENTION``, default ``math``."""
    name = os.environ.get(DECODE_ATTENTION_ENV, "math")
    if name not in DECODE_ATTENTION:
        raise ToolEnvError(f"{DECODE_ATTENTION_ENV}={name!r}: expected one of {sorted(DECODE_ATTENTION)}")
    return name


def _decode_kernels(device: torch.device):
    """Context manager that picks the sdpa backends of a decoding step on ``device``."""
    backends = DECODE_ATTENTION[decode_attention()] if device.type == "cuda" else None
    return contextlib.nullcontext() if backends is None else sdpa_kernel(backends)


class _RowCache(Cache):
    """KV cache with per-row slots in buffers of ``capacity`` slots. Before each step the backbone
    sets ``slot`` [B] (the slot each row's new key/value goes to) and ``active`` [B] (rows that
    write) in ring mode, or ``slot=None`` in full attention, where every row writes slot ``used``
    and attention sees the first ``view`` slots."""

    def __init__(self, n_layers: int, capacity: int, device: torch.device) -> None:
        super().__init__(layers=[_RowLayer(self) for _ in range(n_layers)])
        self.capacity = capacity
        self.slot: torch.Tensor | None = None
        self.active: torch.Tensor | None = None
        self.used = torch.zeros(1, dtype=torch.long, device=device)  # full attention: slots written
        self.host_used = 0  # its host copy: exact after eager steps and after `reserve` (which reads `used`)
        self.view = capacity

    def grow(self, capacity: int) -> None:
        """Reallocate every layer's buffers to ``capacity`` slots, keeping their contents."""
        for layer in self.layers:
            if layer.is_initialized:
                layer.keys, layer.values = _grown(layer.keys, capacity), _grown(layer.values, capacity)
        self.capacity = capacity


class _RowLayer(CacheLayerMixin):
    """One layer's buffers. It reaches its cache through a weak reference: a strong one would make
    a cycle (cache -> layers -> cache) that only the cyclic garbage collector frees, and a finished
    rollout's whole cache (GiBs on a GPU) would outlive it: session 28's 113M scoring ran out of
    memory at 20 digits holding earlier lengths' caches (torch's graph capture no longer runs
    ``gc.collect()``)."""

    def __init__(self, owner: _RowCache) -> None:
        super().__init__()
        self._owner = weakref.ref(owner)

    @property
    def owner(self) -> _RowCache:
        return self._owner()

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        self.device = key_states.device
        shape = (*key_states.shape[:2], self.owner.capacity)
        self.keys = key_states.new_zeros(*shape, key_states.shape[-1])
        self.values = value_states.new_zeros(*shape, value_states.shape[-1])
        self.is_initialized = True

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs):
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        o = self.owner
        if o.slot is None:
            self.keys = _put(self.keys, o.used, key_states)
            self.values = _put(self.values, o.used, value_states)
            return self.keys[..., : o.view, :], self.values[..., : o.view, :]
        self.keys = _write(self.keys, key_states, o.slot, o.active)
        self.values = _write(self.values, value_states, o.slot, o.active)
        return self.keys, self.values

    def get_mask_sizes(self, query_length: int) -> tuple[int, int]:
        return self.get_seq_length() + query_length, 0

    def get_seq_length(self) -> int:
        return 0 if self.keys is None else min(self.keys.shape[-2], self.owner.view)

    def get_max_length(self) -> int:
        return -1


def _grown(buf: torch.Tensor, capacity: int) -> torch.Tensor:
    out = buf.new_zeros(*buf.shape[:2], capacity, buf.shape[-1])
    out[..., : buf.shape[-2], :] = buf
    return out


def _put(buf: torch.Tensor, index: torch.Tensor, new: torch.Tensor) -> torch.Tensor:
    """``buf[:, :, index] = new`` for every row (``index`` a device tensor [1]); in place unless
    autograd is recording (then the old cache may be saved for backward)."""
    return buf.index_copy(2, index, new) if torch.is_grad_enabled() else buf.index_copy_(2, index, new)


def _write(buf: torch.Tensor, new: torch.Tensor, slot: torch.Tensor, active: torch.Tensor) -> torch.Tensor:
    """``buf[b, :, slot[b]] = new[b, :, 0]`` for active rows; in place unless autograd is recording."""
    index = slot.view(-1, 1, 1, 1).expand(-1, buf.shape[1], 1, buf.shape[-1])
    new = torch.where(active.view(-1, 1, 1, 1), new, buf.gather(2, index))
    return buf.scatter(2, index, new) if torch.is_grad_enabled() else buf.scatter_(2, index, new)


@dataclass
class KVState:
    cache: _RowCache
    slot_positions: torch.Tensor  # [B, capacity] position of the row's token in each slot, -1 if empty
    positions: torch.Tensor  # [B] real tokens so far (the position of the next one)


def _flatten(state: KVState):
    c = state.cache
    buffers = [t for layer in c.layers for t in ((layer.keys, layer.values) if layer.is_initialized else ())]
    return [*buffers, state.slot_positions, state.positions, c.used], c


def _unflatten(children, cache: _RowCache) -> KVState:
    """The same cache object (its host fields are shared), holding the tensors given."""
    it = iter(children)
    for layer in cache.layers:
        if layer.is_initialized:
            layer.keys, layer.values = next(it), next(it)
    slot_positions, positions, cache.used = next(it), next(it), next(it)
    return KVState(cache, slot_positions, positions)


pytree.register_pytree_node(KVState, _flatten, _unflatten)


class HFCausalBackbone(Backbone):
    """Subclasses set ``model_class`` and call ``build(hf_config)`` in ``__init__``; ``window`` is the
    sliding attention window in tokens, each token included (None: full causal attention)."""

    model_class: ClassVar[type[PreTrainedModel]]
    fixed_state = True  # between `reserve` calls (see the module docstring)

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
        capacity = self.window or _FIRST_CAPACITY
        return KVState(_RowCache(self.model.config.num_hidden_layers, capacity, device),
                       torch.full((batch_size, capacity), -1, dtype=torch.long, device=device),
                       torch.zeros(batch_size, dtype=torch.long, device=device))

    def reserve(self, state: KVState, steps: int) -> KVState:
        """Room for ``steps`` more steps without reallocating (full attention grows its buffers
        here; reads the slots used from the device)."""
        if self.window is None:
            state.cache.host_used = int(state.cache.used)
            state = self._room(state, steps)
        return state

    def _room(self, state: KVState, steps: int) -> KVState:
        cache = state.cache
        need = cache.host_used + steps
        if need <= cache.capacity:
            return state
        capacity = max(need, 3 * cache.capacity // 2)
        cache.grow(capacity)
        slots = state.slot_positions
        grown = torch.cat([slots, slots.new_full((slots.shape[0], capacity - slots.shape[1]), -1)], dim=1)
        return KVState(cache, grown, state.positions)

    def step(self, tokens: torch.Tensor, state: KVState, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, KVState]:
        if mask is None:
            mask = torch.ones_like(tokens, dtype=torch.bool)
        tokens = torch.where(mask, tokens, torch.full_like(tokens, vocab.PAD))
        pos = state.positions
        grad = torch.is_grad_enabled()
        if self.window is None:
            state = self._room(state, 1)
            cache, slots = state.cache, state.slot_positions
            cache.slot = None
            cache.view = cache.capacity if tokens.is_cuda else cache.host_used + 1
            new = torch.where(mask, pos, -1)[:, None]
            slots = slots.index_copy(1, cache.used, new) if grad else slots.index_copy_(1, cache.used, new)
            visible = slots[:, : cache.view] >= 0
        else:
            # a ring of `window` slots per row: the new token overwrites the row's first empty
            # slot, else its oldest token (position p - window, just out of the window of p)
            cache, slots = state.cache, state.slot_positions
            cache.slot, cache.active = slots.argmin(1), mask
            index = cache.slot[:, None]
            new = torch.where(mask[:, None], pos[:, None], slots.gather(1, index))
            slots = slots.scatter(1, index, new) if grad else slots.scatter_(1, index, new)
            visible = (slots >= 0) & (slots > (pos - self.window)[:, None])
        # a paused row's [PAD] may look at all of its slots: its output is discarded, and it must
        # not attend to nothing (NaN)
        visible |= ~mask[:, None]
        attention = visible[:, None, None, :]  # [B, 1, query, slots], used as is by transformers
        if self.model.config._attn_implementation == "eager":  # eager adds the mask to the scores
            dtype = self.model.get_input_embeddings().weight.dtype
            attention = torch.zeros(attention.shape, dtype=dtype, device=attention.device).masked_fill_(
                ~attention, torch.finfo(dtype).min)
        with _decode_kernels(tokens.device):
            out = self.model(input_ids=tokens[:, None], attention_mask=attention, position_ids=pos[:, None],
                             use_cache=True, **{self._cache_kw: cache})
        if self.window is None:
            cache.used = cache.used + 1 if grad else cache.used.add_(1)
            cache.host_used += 1
        return out.logits[:, -1], KVState(cache, slots, pos + mask.long())
