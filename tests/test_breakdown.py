"""breakdown(): which test problems an entry answered, grouped by a property of the problems."""

import json

import pytest
import torch

import toolenv
from toolenv import leaderboard as lb
from toolenv.breakdown import breakdown, stop_over, without
from toolenv.cli import main
from toolenv.errors import ToolEnvError
from toolenv.evaluate import evaluate
from toolenv.oracle_policy import OraclePolicy

META = {"agent": {"name": "zeros", "backbone": "oracle", "params": 0},
        "training": {"lengths": [1, 3], "steps": 0, "batch_size": 1, "seed": 0}, "command": "pytest"}


class OnlyTimesZero(OraclePolicy):
    """The teacher on problems a×0; on every other problem it ends at once with a wrong [EOS]."""

    def prepare(self, task, problems, regime):
        super().prepare(task, problems, regime)
        self.other = torch.tensor([p.meta["b"] != "0" for p in problems])

    def feed(self, tokens, active):
        return torch.where(self.other, toolenv.vocab.EOS, super().feed(tokens, active))


@pytest.fixture(scope="module")
def entry():
    return evaluate(OnlyTimesZero(), "multiplication_nx1", [3, 4], 40, meta=META, progress=False)


def test_the_answered_problems_are_counted_by_the_key_they_share(entry):
    task = toolenv.get_task("multiplication_nx1")
    found = breakdown(entry, "b")
    assert list(found) == [3, 4]
    for length, groups in found.items():
        bs = [task.problem("test", length, i).meta["b"] for i in range(40)]
        assert [g.value for g in groups] == sorted(set(bs), key=int)  # numeric order
        assert {g.value: g.problems for g in groups} == {b: bs.count(b) for b in set(bs)}
        assert {g.value: g.solved for g in groups} == {b: bs.count(b) if b == "0" else 0 for b in set(bs)}
        # the whole length's accuracy is the a×0 problems' share of its test set
        assert entry.results[[3, 4].index(length)].exact_accuracy == bs.count("0") / 40 > 0


def test_what_cannot_be_broken_down_is_named(entry):
    with pytest.raises(ToolEnvError, match="no meta key 'c'; they have: a, b"):
        breakdown(entry, "c")
    with pytest.raises(ToolEnvError, match=r"'a' takes \d+ values at length 3: a breakdown needs a key of at most 20"):
        breakdown(entry, "a")  # an operand, not a property
    old = entry.model_copy(update={"results": [r.model_copy(update={"solved": None}) for r in entry.results]})
    with pytest.raises(ToolEnvError, match="length.s. 3, 4 do not record which problems were answered"):
        breakdown(old, "b")


def test_cli_prints_one_row_per_length_and_one_column_per_value(entry, tmp_path, capsys):
    path = tmp_path / "board.json"
    other = entry.model_copy(update={"agent": entry.agent.model_copy(update={"name": "other"})})
    lb.save(path, [entry, other])
    assert main(["breakdown", str(path), "--by", "b"]) == 2  # two entries: which one?
    assert "name one with --agent (zeros, other)" in " ".join(capsys.readouterr().err.split())
    capsys.readouterr()
    assert main(["breakdown", str(path), "--by", "b", "--agent", "zeros"]) == 0
    out = capsys.readouterr().out
    found = breakdown(entry, "b")
    zeros = {length: next(g for g in groups if g.value == "0") for length, groups in found.items()}
    for length, g in zeros.items():
        row = next(line for line in out.splitlines() if line.strip("│ ").startswith(f"{length} "))
        assert f"{g.solved}/{g.problems}" in row and f"{g.solved}/40" in row
    assert "b=0" in out and "b=9" in out
    assert json.loads(path.read_text())[0]["results"][0]["solved"] == entry.results[0].solved


def test_setting_easy_problems_aside_leaves_what_the_agent_computes(entry, tmp_path, capsys):
    found = breakdown(entry, "b")
    zeros = {n: next(g.problems for g in groups if g.value == "0") for n, groups in found.items()}
    ones = {n: next(g.problems for g in groups if g.value == "1") for n, groups in found.items()}
    assert without(found, {"0"}) == {n: (0, 40 - zeros[n]) for n in found}
    assert without(found, {"1"}) == {n: (zeros[n], 40 - ones[n]) for n in found}
    with pytest.raises(ToolEnvError, match="no problem has the value.s. 12; the values are: 0, 1, 2"):
        without(found, {"0", "12"})
    path = tmp_path / "e.json"
    lb.save(path, entry)
    assert main(["breakdown", str(path), "--by", "b", "--without", "0,1"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"paper-style over the problems with b not in {{0, 1}}: 3→none (<5% at every tested length) " \
           f"(all problems: {entry.summary.paper_style})" in out
    assert entry.summary.paper_style.startswith("3→4 ")  # the a×0 problems alone carry it past training


def test_the_stop_over_the_problems_left_follows_the_papers_rule(entry):
    # 3 of 50 is 6%, 2 of 50 is 4%: the stop is the last length at 5% or more, even after a gap
    assert stop_over({10: (40, 40), 11: (3, 50), 12: (2, 50), 13: (4, 50)}, 10) == "10→13 (8%)"
    assert stop_over({10: (40, 40), 11: (2, 50), 12: (0, 0)}, 10) == "10→10 (100%)"  # no problem left at 12
    assert stop_over(without(breakdown(entry, "b"), {"0"}), 3) == "3→none (<5% at every tested length)"
    # without the a×1 problems (none answered) the a×0 answers are a larger share of what is left
    zeros, left = without(breakdown(entry, "b"), {"1"})[4]
    assert stop_over(without(breakdown(entry, "b"), {"1"}), 3) == f"3→4 ({zeros / left:.0%})"
