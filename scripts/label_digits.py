"""Does a model's label copying depend on the labels' digits? The logical graph's test circuits, scored as
they are and with every label renamed (`tasks.logical_graph.relabel`: the same circuit, the same answer) to
labels of 4 distinct digits, or to labels that each repeat a digit.

For each set it prints accuracy and the rate of first divergences in a label per label the oracle writes
(a first-error hazard: events / label copies before the first divergence, or all of them). Session 18: every
first divergence of the value-lookup GRUs at 100 gates was in a label with a repeated digit (11 of 11, where
half of the labels have one); this asks the circuits themselves.

Usage:
  python scripts/label_digits.py runs/paper/logical_graph_value_lookup-gru-s1 [--length 100] [--episodes 64] \
      [--device cpu] [--sets "as drawn,4 distinct digits,a repeated digit"] [--json runs/label-digits-gru-s1.json]
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np

LABEL_SETS = ("as drawn", "4 distinct digits", "a repeated digit", "a run of 3 equal digits")
ONE_DIGIT = re.compile(r"a repeated ([0-9])")  # plus "a repeated 0" .. "a repeated 9"


def known(kind: str) -> bool:
    return kind in LABEL_SETS or ONE_DIGIT.fullmatch(kind) is not None


def pool(kind: str) -> list[str]:
    """The labels of one kind among those the generator draws: ``a run of 3 equal digits`` are the 171 with
    three or four equal digits in a row (``v4445``, ``v1000``, ``v7777``), where the float32 LSTM's copies
    failed at 1,000 gates (session 23); 1.9% of the labels drawn. ``a repeated 8`` are those in which the
    digit 8 occurs twice or more (495 labels, ``v8828``, ``v1808``): session 26's float16 GRU seed 0 on the
    runs stream wrote a label's last 8 wrong in each of its 8 first divergences at 100 gates."""
    from tasks.logical_graph import labels_repeating_a_digit, labels_with_a_run

    if kind == "a run of 3 equal digits":
        return labels_with_a_run(3)
    if digit := ONE_DIGIT.fullmatch(kind):
        return [x for x in labels_repeating_a_digit(True) if x.count(digit[1]) >= 2]
    return labels_repeating_a_digit(kind == "a repeated digit")


def renamed(task, problem, kind: str, rng: np.random.Generator):
    """``problem`` with its labels drawn again from one kind (as drawn: unchanged); raises ValueError when
    the circuit has more labels than that kind holds."""
    from tasks.logical_graph import redraw_labels

    if kind == "as drawn":
        return problem
    labels, needed = pool(kind), len(set(re.findall(r"v[0-9]+", problem.prompt)))
    if needed > len(labels):
        raise ValueError(f"a circuit of length {problem.length} has {needed} labels, more than the {len(labels)} "
                         f"with {kind}: use a shorter --length")
    return task.make_problem(redraw_labels(problem.prompt, labels, rng))


def score(agent, task, problems) -> dict:
    """Accuracy, and first divergences in a label per label copy the oracle makes before them."""
    from toolenv import vocab
    from toolenv.divergence import divergences
    from toolenv.regimes import regime_trajectory
    from toolenv.rollout import rollout
    from toolenv.trajectory import AGENT_ROLES

    results = rollout(agent, task, problems, "interactive", record=True)
    found = divergences(task, results)
    v, agent_roles = vocab.token_id("v"), list(AGENT_ROLES)
    copies = events = 0
    for r, d in zip(results, found, strict=True):
        oracle = regime_trajectory(task, r.problem, "interactive")
        end = len(oracle.tokens) if d is None else d.position
        copies += int(((oracle.tokens[:end] == v) & np.isin(oracle.roles[:end], agent_roles)).sum())
        events += d is not None and d.word.startswith("v")
    return {"episodes": len(results), "correct": sum(r.correct for r in results),
            "invalid": sum(r.invalid for r in results), "label_divergences": int(events),
            "label_copies": copies, "rate_per_copy": events / copies if copies else None,
            "examples": [f"{d.word} -> {d.written} ({d.copy_distance} back)" for d in found if d and d.word][:8]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--length", type=int, default=100)
    parser.add_argument("--episodes", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0, help="evaluation set (and the relabelling's draws)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--sets", default=",".join(LABEL_SETS),
                        help=f"comma-separated, of: {', '.join(LABEL_SETS)}, or 'a repeated D' for a digit D")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    sets = [x.strip() for x in args.sets.split(",") if x.strip()]
    if unknown := [x for x in sets if not known(x)]:
        parser.error(f"--sets: unknown {unknown[0]!r}; known: {', '.join(LABEL_SETS)}, 'a repeated D' (D a digit)")

    from rich.console import Console
    from rich.table import Table

    from agents.checkpoint import load_agent, read_info
    from toolenv.registry import get_task

    info = read_info(args.checkpoint)
    task = get_task((info.train_config or {}).get("tasks", [{}])[0].get("name", "logical_graph"))
    if task.problems_of != "logical_graph" and task.name != "logical_graph":
        raise SystemExit(f"{args.checkpoint} was trained on {task.name}, not on the logical graph's problems")
    agent = load_agent(args.checkpoint, device=args.device)
    problems = [task.problem("test", args.length, i, args.seed) for i in range(args.episodes)]
    rng = np.random.default_rng(args.seed)
    out = {"checkpoint": args.checkpoint, "task": task.name, "length": args.length, "seed": args.seed,
           "sets": {kind: score(agent, task, [renamed(task, p, kind, rng) for p in problems])
                    for kind in sets}}
    table = Table(title=f"{args.checkpoint}: {task.name}, {args.length} gates, {args.episodes} test circuits")
    for column in ("labels", "correct", "invalid", "first divergences in a label", "label copies", "per copy"):
        table.add_column(column, justify="left" if column == "labels" else "right")
    for kind, s in out["sets"].items():
        rate = "-" if s["rate_per_copy"] is None else f"{s['rate_per_copy']:.1e}"
        table.add_row(kind, f"{s['correct']}/{s['episodes']}", str(s["invalid"]), str(s["label_divergences"]),
                      f"{s['label_copies']:,}", rate)
    Console().print(table)
    for kind, s in out["sets"].items():
        print(f"{kind}: {'; '.join(s['examples'])}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
