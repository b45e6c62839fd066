"""The Agent protocol: a batch of episodes, observations in, actions out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Agent(Protocol):
    """What the env loop and the batched rollout engine drive.

    ``reset(batch_size)`` starts ``batch_size`` new episodes. Each ``act`` call receives, per
    episode, the tokens appended to its context since the previous call: the prompt on the
    first call, afterwards the env's step observation (the agent's last action followed by any
    tool output). It returns one action (token id) per episode as an int64 array of shape
    ``[batch_size]``. An empty observation marks an episode that has finished (or pauses); its
    returned action is ignored and its state must not change.
    """

    def reset(self, batch_size: int) -> None: ...

    def act(self, observations: Sequence[np.ndarray]) -> np.ndarray: ...
