"""Shared base for the Transformer backbones built from transformers' causal LMs (no pretrained weights).

Training runs the full causal forward. Stepping keeps a KV cache (``DynamicCache``) that grows by
one slot per step for every row; a row that consumes no token this step (mask False) gets a
[PAD] in its slot with attention mask 0, and its position id does not advance, so each row sees
exactly its own tokens at its own positions.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import torch
from transformers import DynamicCache

from agents.backbone import Backbone
from toolenv import vocab


@dataclass
class KVState:
    cache: DynamicCache
    attention: torch.Tensor  # [B, slots] 1 where the slot holds a real token
    positions: torch.Tensor  # [B] real tokens so far


class HFCausalBackbone(Backbone):
    def build(self, hf_config) -> None:
        self.model = self.model_class(hf_config)
        # transformers renamed `past_key_values` to `cache` in 5.2x; support both
        params = inspect.signature(self.model.forward).parameters
        self._cache_kw = "cache" if "cache" in params else "past_key_values"

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=tokens, use_cache=False).logits

    def init_state(self, batch_size: int, device: torch.device | str = "cpu") -> Any:
        device = torch.device(device)
        return KVState(DynamicCache(config=self.model.config), torch.zeros(batch_size, 0, dtype=torch.long, device=device),
                       torch.zeros(batch_size, dtype=torch.long, device=device))

    def step(self, tokens: torch.Tensor, state: KVState, mask: torch.Tensor | None = None):
        if mask is None:
            mask = torch.ones_like(tokens, dtype=torch.bool)
        tokens = torch.where(mask, tokens, torch.full_like(tokens, vocab.PAD))
        attention = torch.cat([state.attention, mask.long()[:, None]], dim=1)
        out = self.model(input_ids=tokens[:, None], attention_mask=attention, position_ids=state.positions[:, None],
                         use_cache=True, **{self._cache_kw: state.cache})
        # the cache object is updated in place
        return out.logits[:, -1], KVState(state.cache, attention, state.positions + mask.long())
