"""Rich rendering of trajectories: each role in its own colour."""

from __future__ import annotations

from rich.text import Text

from toolenv import vocab
from toolenv.trajectory import Role, Trajectory

ROLE_STYLES = {
    Role.PROMPT: "bold white",
    Role.THOUGHT: "cyan",
    Role.COMMAND: "magenta",
    Role.OBSERVATION: "bold yellow",
    Role.OUTPUT: "bold green",
}


def legend() -> Text:
    text = Text("roles: ")
    for role, style in ROLE_STYLES.items():
        text.append(role.name.lower(), style=style)
        text.append("  ")
    return text


def trajectory_text(trajectory: Trajectory, max_tokens: int | None = None) -> Text:
    """The trajectory as styled text; with ``max_tokens``, the middle is elided."""
    tokens, roles = trajectory.tokens.tolist(), trajectory.roles.tolist()
    keep = range(len(tokens))
    if max_tokens is not None and len(tokens) > max_tokens:
        half = max_tokens // 2
        keep = [*range(half), -1, *range(len(tokens) - half, len(tokens))]
    text = Text()
    for i in keep:
        if i < 0:
            text.append(f" … {len(tokens) - 2 * half} tokens … ", style="dim")
            continue
        text.append(vocab.token_name(tokens[i]), style=ROLE_STYLES[Role(roles[i])])
    return text
