"""How often does one wrong result change what a code-tracing program prints?

For each length, test programs get one wrong value (a random other digit) at a uniformly random
executed assignment, and the program runs on from there; the script prints the fraction whose
printed values change. An agent's error that does not reach the ``print`` (the variable is
assigned again before it is read) costs nothing, which is why exact accuracy can stay flat with
length (docs/tasks/code_tracing.md, "Results on the operand-line format").

    python scripts/code_tracing_error_reach.py [--lengths 10,20,50,100,200,1000] [--programs 400]
"""

from __future__ import annotations

import argparse

import numpy as np

import toolenv
from tasks.code_tracing import evaluate, executed_statements


def final_state(program: str, wrong_at: int | None = None, shift: int = 0) -> dict[str, int]:
    """The variables' values after the program; the assignment number ``wrong_at`` gets its value + shift."""
    state: dict[str, int] = {}
    for k, statement in enumerate(executed_statements(program)):
        value = evaluate(statement[2:], state)
        state[statement[0]] = (value + shift) % 10 if k == wrong_at else value
    return state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", default="10,20,50,100,200,1000")
    parser.add_argument("--programs", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    task, rng = toolenv.get_task("code_tracing"), np.random.default_rng(args.seed)
    print("length  answer changed  (one wrong result at a random executed assignment)")
    for length in map(int, args.lengths.split(",")):
        changed = 0
        for index in range(args.programs):
            program = task.problem("test", length, index).prompt
            wrong = final_state(program, int(rng.integers(length)), int(rng.integers(1, 10)))
            changed += wrong != final_state(program)
        print(f"{length:6d}  {changed / args.programs:14.2f}")


if __name__ == "__main__":
    main()
