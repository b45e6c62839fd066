"""Pythia-style Transformer: GPT-NeoX with rotary embeddings, via transformers (trained from scratch)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator
from transformers import GPTNeoXConfig, GPTNeoXForCausalLM

from agents.backbone import BackboneConfig
from agents.backbones.hf_causal import HFCausalBackbone
from toolenv import vocab


class TransformerConfig(BackboneConfig):
    d_model: int = Field(128, gt=0)
    n_layers: int = Field(2, gt=0)
    n_heads: int = Field(4, gt=0)
    intermediate_size: int = Field(512, gt=0)
    rotary_pct: float = Field(0.25, gt=0, le=1, description="fraction of each head that gets RoPE (Pythia: 0.25)")
    max_positions: int = Field(1 << 20, gt=0, description="transformers' max_position_embeddings; RoPE is computed "
                                                          "on the fly, so this limits nothing in practice")
    attn_implementation: Literal["sdpa", "eager"] = "sdpa"

    @model_validator(mode="after")
    def _heads(self):
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} must be divisible by n_heads={self.n_heads}")
        return self


class Transformer(HFCausalBackbone):
    """GPT-NeoX decoder (parallel residual, RoPE on ``rotary_pct`` of each head), full causal
    attention; stepping keeps a KV cache that grows by one slot per step (see ``hf_causal``)."""

    name = "transformer"
    config_class = TransformerConfig
    model_class = GPTNeoXForCausalLM
    presets: ClassVar[dict[str, dict[str, Any]]] = {
        "tiny": {"d_model": 64, "n_layers": 2, "n_heads": 4, "intermediate_size": 256},
        "small": {"d_model": 256, "n_layers": 4, "n_heads": 8, "intermediate_size": 1024},
        # The paper (App. C) lists "Pythia-160M" as 24 layers x d_model 768, intermediate 1536,
        # 8 heads, RoPE; the released EleutherAI/pythia-160m has 12 layers, 12 heads and
        # intermediate 3072 (85M non-embedding parameters; the table's shape gives 113M). We
        # follow the paper's table; override n_layers/n_heads/intermediate_size for the release.
        "paper": {"d_model": 768, "n_layers": 24, "n_heads": 8, "intermediate_size": 1536},
    }

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__(config)
        self.build(GPTNeoXConfig(
            vocab_size=config.vocab_size, hidden_size=config.d_model, num_hidden_layers=config.n_layers,
            num_attention_heads=config.n_heads, intermediate_size=config.intermediate_size,
            rotary_pct=config.rotary_pct, max_position_embeddings=config.max_positions,
            bos_token_id=vocab.BOS, eos_token_id=vocab.EOS, pad_token_id=vocab.PAD,
            attn_implementation=config.attn_implementation,
        ))
