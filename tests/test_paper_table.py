"""scripts/paper_table.py: our entries beside the paper's Table 1, with n×1's stop without trivial problems."""

import importlib.util
from pathlib import Path

import torch

import toolenv
from toolenv.evaluate import evaluate
from toolenv.oracle_policy import OraclePolicy

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "paper_table.py"
spec = importlib.util.spec_from_file_location("paper_table", SCRIPT)
paper_table = importlib.util.module_from_spec(spec)
spec.loader.exec_module(paper_table)


class OnlyTimesZeroAndOne(OraclePolicy):
    """The teacher on problems a×0 and a×1; on every other problem it ends at once with a wrong [EOS]."""

    def prepare(self, task, problems, regime):
        super().prepare(task, problems, regime)
        self.other = torch.tensor([p.meta["b"] not in ("0", "1") for p in problems])

    def feed(self, tokens, active):
        return torch.where(self.other, toolenv.vocab.EOS, super().feed(tokens, active))


def meta(seed):
    return {"agent": {"name": f"easy-s{seed}", "backbone": "transformer", "params": 0},
            "training": {"lengths": [1, 3], "steps": 0, "batch_size": 1, "seed": seed}, "command": "pytest"}


def test_n_x_1_rows_give_each_seeds_stop_without_the_times_zero_and_one_problems():
    easy = evaluate(OnlyTimesZeroAndOne(), "multiplication_nx1", [3, 4], 40, meta=meta(0), progress=False)
    exact = evaluate(OraclePolicy(), "multiplication_nx1", [3, 4], 40, meta=meta(1), progress=False)
    old = exact.model_copy(update={"results": [r.model_copy(update={"solved": None}) for r in exact.results]})
    assert easy.summary.paper_style.startswith("3→4 ")  # a×0 and a×1 alone pass the 5% threshold
    text = paper_table.table("multiplication_nx1", "interactive", [(easy, False), (exact, False)])
    header, _, row = text.splitlines()
    assert "seeds without b ∈ {0, 1}" in header
    assert "s0: 3→none (<5% at every tested length); s1: 3→4 (100%)" in row
    row = paper_table.table("multiplication_nx1", "interactive", [(old, False)]).splitlines()[2]
    assert "s1: not recorded" in row  # entries written before schema 1.1
    # tasks without trivial problems keep their columns
    assert "seeds without" not in paper_table.table("addition", "interactive", []).splitlines()[0]
