"""LMAgent: any Backbone as an agent, for the env loop and for the batched rollout engine."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from agents.backbone import Backbone
from toolenv import vocab


class LMAgent:
    """Greedy (``temperature=0``, the default) or sampled decoding from a Backbone.

    Two interfaces over the same state:

    - the Agent protocol (``reset``/``act``) for ``ToolEnv`` loops: every observation token is
      fed to the model, one model step per token for the whole batch, rows with fewer pending
      tokens masked;
    - the TokenPolicy protocol (``start``/``feed``) that ``toolenv.rollout`` drives on the device.

    A [BOS] token is fed to every row at the start of an episode.
    """

    def __init__(self, backbone: Backbone, device: str | torch.device | None = None, temperature: float = 0.0,
                 seed: int | None = None) -> None:
        if temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {temperature}")
        if device is None:
            device = next(backbone.parameters()).device
        self.device = torch.device(device)
        self.backbone = backbone.to(self.device).eval()
        self.temperature = temperature
        self.generator = None
        if temperature > 0:
            self.generator = torch.Generator(device=self.device)
            self.generator.manual_seed(0 if seed is None else seed)
        self.state = None
        self.logits: torch.Tensor | None = None

    # -- TokenPolicy --------------------------------------------------------------------------
    @torch.inference_mode()
    def start(self, batch_size: int) -> None:
        self.state = self.backbone.init_state(batch_size, self.device)
        bos = torch.full((batch_size,), vocab.BOS, dtype=torch.long, device=self.device)
        self.logits, self.state = self.backbone.step(bos, self.state)

    @torch.inference_mode()
    def feed(self, tokens: torch.Tensor, active: torch.Tensor) -> torch.Tensor:
        logits, self.state = self.backbone.step(tokens, self.state, active)
        self.logits = torch.where(active[:, None], logits, self.logits)
        return self.choose(self.logits)

    def choose(self, logits: torch.Tensor) -> torch.Tensor:
        if self.temperature == 0:
            return logits.argmax(-1)
        probs = torch.softmax(logits.float() / self.temperature, dim=-1)
        return torch.multinomial(probs, 1, generator=self.generator)[:, 0]

    # -- Agent protocol ------------------------------------------------------------------------
    def reset(self, batch_size: int) -> None:
        self.start(batch_size)

    @torch.inference_mode()
    def act(self, observations: Sequence[np.ndarray]) -> np.ndarray:
        B = len(observations)
        lengths = [len(o) for o in observations]
        for t in range(max(lengths, default=0)):
            tokens = torch.tensor([int(o[t]) if t < n else vocab.PAD for o, n in zip(observations, lengths)],
                                  dtype=torch.long, device=self.device)
            active = torch.tensor([t < n for n in lengths], dtype=torch.bool, device=self.device)
            self.feed(tokens, active)
        if self.logits is None or self.logits.shape[0] != B:
            raise ValueError(f"act() got {B} observations for a batch of {None if self.logits is None else self.logits.shape[0]}")
        return self.choose(self.logits).cpu().numpy().astype(np.int64)
