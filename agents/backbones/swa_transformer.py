"""Mistral-style Transformer with sliding-window attention, via transformers (trained from scratch)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator
from transformers import MistralConfig, MistralForCausalLM

from agents.backbone import BackboneConfig
from agents.backbones import sliding_attention
from agents.backbones.hf_causal import HFCausalBackbone
from toolenv import vocab


class SWATransformerConfig(BackboneConfig):
    d_model: int = Field(128, gt=0)
    n_layers: int = Field(2, gt=0)
    n_heads: int = Field(4, gt=0)
    n_kv_heads: int = Field(4, gt=0, description="key/value heads (grouped-query attention when < n_heads)")
    intermediate_size: int = Field(256, gt=0)
    window: int = Field(64, gt=0, description="sliding attention window in tokens, the current one included")
    max_positions: int = Field(1 << 20, gt=0, description="transformers' max_position_embeddings; RoPE is computed "
                                                          "on the fly, so this limits nothing in practice")
    attn_implementation: Literal["sdpa_sliding_chunks", "sdpa", "eager"] = Field(
        sliding_attention.NAME, description="sdpa_sliding_chunks: training attention in blocks of `window` "
        "queries, memory O(L x window) (see sliding_attention); sdpa, eager: transformers' own, which "
        "build an L x L mask in training")

    @model_validator(mode="after")
    def _heads(self):
        if self.d_model % self.n_heads or self.n_heads % self.n_kv_heads:
            raise ValueError(f"need d_model % n_heads == 0 and n_heads % n_kv_heads == 0, got d_model={self.d_model}, "
                             f"n_heads={self.n_heads}, n_kv_heads={self.n_kv_heads}")
        return self


class SWATransformer(HFCausalBackbone):
    """Mistral decoder (pre-RMSNorm, SwiGLU MLP, RoPE); token ``t`` attends to tokens
    ``t - window + 1 .. t`` only, in training (by default blockwise, in O(L x window) memory, see
    ``sliding_attention``; with ``sdpa``/``eager``, transformers' L x L sliding-window mask) and in stepping,
    where each row keeps a fixed ring of its last ``window - 1`` keys/values (see ``hf_causal``): a
    fixed-memory model, like the SSMs and RNNs."""

    name = "swa-transformer"
    config_class = SWATransformerConfig
    model_class = MistralForCausalLM
    # The paper (App. C): "config of Mistral-7B-v0.1, scaled down" to 8 layers x d_model 768,
    # intermediate 1536, window 512; it does not give the head counts (Mistral-7B: 32 query heads,
    # 8 key/value heads, head size 128). We use 8 heads of 96, no grouping, like the Pythia preset.
    presets: ClassVar[dict[str, dict[str, Any]]] = {
        "tiny": {"d_model": 64, "n_layers": 2, "n_heads": 4, "n_kv_heads": 4, "intermediate_size": 256, "window": 64},
        "small": {"d_model": 256, "n_layers": 4, "n_heads": 8, "n_kv_heads": 8, "intermediate_size": 768, "window": 256},
        "paper": {"d_model": 768, "n_layers": 8, "n_heads": 8, "n_kv_heads": 8, "intermediate_size": 1536, "window": 512},
    }

    def __init__(self, config: SWATransformerConfig) -> None:
        super().__init__(config)
        self.build(MistralConfig(
            vocab_size=config.vocab_size, hidden_size=config.d_model, num_hidden_layers=config.n_layers,
            num_attention_heads=config.n_heads, num_key_value_heads=config.n_kv_heads,
            intermediate_size=config.intermediate_size, sliding_window=config.window,
            max_position_embeddings=config.max_positions, bos_token_id=vocab.BOS, eos_token_id=vocab.EOS,
            pad_token_id=vocab.PAD, attn_implementation=config.attn_implementation,
        ))

    @property
    def window(self) -> int:
        return self.config.window
