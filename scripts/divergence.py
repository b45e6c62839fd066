"""Where does a trained agent first leave the oracle's trajectory?

Plays ``--episodes`` test problems of one length with a checkpoint (greedy, recorded) and
compares each episode with the task's teacher trajectory of the same problem. The env is
deterministic, so the first token where they differ is always one the agent chose: this script
counts those first divergences by the role the oracle's token has there (thought, command,
output) and by (expected -> chosen) token, and shows a few with the oracle's line up to that
point. Episodes that never diverge are correct by construction.

Usage:
  python scripts/divergence.py runs/paper/logical_graph-gru-s0 --length 10 --episodes 64 [--show 5]
"""

from __future__ import annotations

import argparse
from collections import Counter

from agents.checkpoint import load_agent, read_info
from toolenv import vocab
from toolenv.regimes import regime_trajectory
from toolenv.registry import get_task
from toolenv.rollout import rollout
from toolenv.trajectory import Role


def first_divergence(agent: list[int], oracle: list[int]) -> int | None:
    """Index of the first differing token (or where the shorter one ends); None if equal."""
    for k, (a, o) in enumerate(zip(agent, oracle)):
        if a != o:
            return k
    return None if len(agent) == len(oracle) else min(len(agent), len(oracle))


def line_before(tokens: list[int], k: int, width: int = 80) -> str:
    """The text of ``tokens`` from the last newline before ``k`` up to ``k`` (at most ``width`` chars)."""
    start = k
    while start > 0 and tokens[start - 1] != vocab.token_id("\n") and k - start < width:
        start -= 1
    return "".join(vocab.token_name(t) for t in tokens[start:k])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint")
    parser.add_argument("--length", type=int, required=True)
    parser.add_argument("--episodes", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0, help="which fixed evaluation set")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--show", type=int, default=5, help="examples to print")
    args = parser.parse_args()

    info = read_info(args.checkpoint)
    cfg = info.train_config
    task, regime = get_task(cfg["tasks"][0]["name"]), cfg["regime"]
    problems = [task.problem("test", args.length, i, args.seed) for i in range(args.episodes)]
    results = rollout(load_agent(args.checkpoint, device=args.device), task, problems, regime, record=True)
    by_role: Counter[str] = Counter()
    by_token: Counter[str] = Counter()
    shown = 0
    for i, (r, p) in enumerate(zip(results, problems)):
        oracle = regime_trajectory(task, p, regime)
        agent_tokens, oracle_tokens = list(r.tokens), oracle.tokens.tolist()
        k = first_divergence(agent_tokens, oracle_tokens)
        if k is None:
            by_role["none (followed the oracle)"] += 1
            continue
        role = Role(int(oracle.roles[k])).name.lower() if k < len(oracle_tokens) else "past the oracle's end"
        expected = vocab.token_name(oracle_tokens[k]) if k < len(oracle_tokens) else "-"
        chosen = vocab.token_name(agent_tokens[k]) if k < len(agent_tokens) else "-"
        by_role[role] += 1
        by_token[f"{expected!r} -> {chosen!r}"] += 1
        if shown < args.show:
            shown += 1
            print(f"episode {i} ({'correct' if r.correct else 'wrong'}): at token {k} of {len(oracle_tokens)}, "
                  f"oracle {expected!r}, agent {chosen!r}, after {line_before(oracle_tokens, k)!r}")
    n = len(results)
    correct = sum(r.correct for r in results)
    print(f"\n{cfg['tasks'][0]['name']} length {args.length}: {correct}/{n} correct, "
          f"{sum(r.truncated for r in results)} truncated, {sum(r.invalid for r in results)} invalid")
    print("first divergence, by the oracle token's role:")
    for role, c in by_role.most_common():
        print(f"  {c:4d}  {role}")
    print("first divergence, expected -> chosen token:")
    for pair, c in by_token.most_common(10):
        print(f"  {c:4d}  {pair}")


if __name__ == "__main__":
    main()
