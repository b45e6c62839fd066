"""Prototype (not committed): code_tracing with an 'operand line' thought before the state line
of every +,-,* assignment: the operands' values, the operator and the result, e.g. ``3*4=2``.
Usage: python scripts/code_tracing_diagnosis/ct_ops.py <toolenv CLI args>  (registers the task, then runs the CLI)."""
import sys
import numpy as np
import toolenv
from toolenv.task import _stable_int, SPLIT_IDS
from toolenv.registry import register_task
from tasks.code_tracing import CodeTracing, evaluate, state_line, validate_program, VARIABLES
from toolenv.builder import TrajectoryBuilder


class CodeTracingOps(CodeTracing):
    name = "code_tracing_ops"
    description = "code_tracing prototype: operand values written before each result"

    # same problems as code_tracing (its name seeds the streams and the split)
    def rng(self, split, length, index, seed=0):
        return np.random.default_rng(np.random.SeedSequence(
            [_stable_int("code_tracing"), SPLIT_IDS[split], int(length), int(index), int(seed)]))

    def split_of(self, problem):
        h = _stable_int(f"code_tracing\x00{problem.prompt}") % 1_000_000
        return "test" if h < self.test_fraction * 1_000_000 else "train"

    def oracle(self, problem):
        validate_program(problem.prompt)
        b = TrajectoryBuilder(problem.prompt, self.make_tool())
        state, more = {}, None
        c = b.read(1)
        while c != "p":
            line = c
            while c != "\n":
                b.right(1); c = b.read(1); line += c
            b.right(1); c = b.read(1)
            statement = line.strip()
            if statement.startswith("for"):
                more = int(statement[len("for _ in range(")]) - 1
            else:
                rhs = statement[2:]
                if len(rhs) > 1:  # (u+v)%10, (u-v)%10, u*v%10: write  value(u) op value(v) = result
                    u, op, v = (rhs[1], rhs[2], rhs[3]) if rhs.startswith("(") else (rhs[0], "*", rhs[2])
                    val = lambda o: o if o.isdigit() else str(state[o])
                    b.think(f"{val(u)}{op}{val(v)}={evaluate(rhs, state)}\n")
                state[statement[0]] = evaluate(rhs, state)
                if more == 0 and c != " ":
                    more = None
            b.think(state_line(state, more))
            if more is not None and c != " ":
                b.left(1)
                while b.read(1) != ":":
                    b.left(1)
                b.right(1); b.read(1); b.right(1); c = b.read(1)
                more -= 1
                b.think(state_line(state, more))
        b.answer()
        while True:
            b.right(1); c = b.read(1)
            if c == ")":
                return b.finish()
            if c in VARIABLES:
                b.output(str(state[c]))
            elif c == ",":
                b.output(" ")


register_task(CodeTracingOps)

if __name__ == "__main__":
    from toolenv.cli import main
    sys.exit(main(sys.argv[1:]))
