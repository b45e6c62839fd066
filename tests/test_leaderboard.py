"""Leaderboard files validate; malformed ones are rejected naming the field; evaluation resumes."""

import json

import pytest

import toolenv
from toolenv import leaderboard as lb
from toolenv.evaluate import evaluate
from toolenv.oracle_policy import OraclePolicy
from toolenv.plots import plot_task


class OracleAgent:
    """The oracle as an Agent (reset/act): replays each episode's teacher trajectory."""

    def __init__(self, task):
        self.task = task

    def reset(self, batch_size):
        self.problems = None
        self.pos = [0] * batch_size

    def act(self, observations):
        import numpy as np

        if self.problems is None:  # first call: the prompts identify the problems
            self.plans = [self._plan(o) for o in observations]
            self.problems = True
        out = []
        for b, o in enumerate(observations):
            self.pos[b] += len(o)
            out.append(self.plans[b][self.pos[b]] if self.pos[b] < len(self.plans[b]) else 0)
        return np.array(out, dtype=np.int64)

    def _plan(self, prompt):
        text = toolenv.vocab.decode(prompt)
        a, b = text[:-1].split("+")
        p = toolenv.Problem("addition", len(a), text, str(int(a) + int(b)), {"a": a, "b": b})
        return self.task.oracle(p).tokens.tolist()


def test_wilson_interval_known_values():
    lo, hi = lb.wilson_interval(8, 10)
    assert lo == pytest.approx(0.4902, abs=1e-4) and hi == pytest.approx(0.9433, abs=1e-4)
    lo, hi = lb.wilson_interval(0, 50)
    assert lo == 0.0 and hi == pytest.approx(0.0714, abs=1e-4)
    assert lb.wilson_interval(100, 100)[1] == 1.0


def _entry(tmp_path, agent=None, lengths=(1, 3), out=None):
    task = toolenv.get_task("addition")
    meta = {"agent": {"name": "oracle", "backbone": "oracle", "params": 0},
            "training": {"lengths": [1, 2], "steps": 0, "batch_size": 1, "seed": 0}, "command": "pytest"}
    return evaluate(agent or OracleAgent(task), task, lengths, 4, seed=0, out=out, meta=meta, progress=False)


def test_evaluate_scores_the_oracle_perfectly_and_writes_a_valid_file(tmp_path):
    out = tmp_path / "board.json"
    entry = _entry(tmp_path, out=out)
    assert [r.exact_accuracy for r in entry.results] == [1.0, 1.0]
    assert entry.summary.paper_style == "2→3 (100%)" and entry.summary.max_length_99 == 3
    assert lb.load(out)[0] == entry
    md = lb.markdown_table([entry])
    assert "| oracle | interactive |" in md and "100%" in md
    assert plot_task([entry], tmp_path / "p.png").stat().st_size > 1000


def test_interrupted_evaluation_resumes_from_what_is_written(tmp_path):
    out = tmp_path / "board.json"
    _entry(tmp_path, lengths=(1,), out=out)

    class Counting(OracleAgent):
        calls = 0

        def reset(self, batch_size):
            Counting.calls += 1
            super().reset(batch_size)

    entry = _entry(tmp_path, agent=Counting(toolenv.get_task("addition")), lengths=(1, 2), out=out)
    assert Counting.calls == 1  # only length 2 ran again
    assert [r.length for r in entry.results] == [1, 2]
    with pytest.raises(toolenv.ToolEnvError, match="other settings"):
        evaluate(OracleAgent(toolenv.get_task("addition")), "addition", [1], 5, out=out, progress=False,
                 meta={"agent": {"name": "oracle", "backbone": "oracle", "params": 0}})


def test_tokenpolicy_and_agent_paths_agree(tmp_path):
    task = toolenv.get_task("addition")
    problems = [task.problem("test", 2, i) for i in range(4)]
    a = evaluate(OraclePolicy(task, problems), task, [2], 4, progress=False)
    b = evaluate(OracleAgent(task), task, [2], 4, progress=False)
    assert a.results[0].exact_accuracy == b.results[0].exact_accuracy == 1.0
    assert a.results[0].mean_trajectory_tokens == b.results[0].mean_trajectory_tokens


@pytest.mark.parametrize("edit,field", [
    (lambda d: d.pop("task"), "task"),
    (lambda d: d["results"][0].update(exact_accuracy=1.5), "results.0.exact_accuracy"),
    (lambda d: d["agent"].update(params=-1), "agent.params"),
    (lambda d: d.update(surprise=1), "surprise"),
    (lambda d: d["results"][0].update(ci_low=0.99, ci_high=1.0, exact_accuracy=0.5), "results.0"),
])
def test_malformed_files_are_rejected_naming_the_field(tmp_path, edit, field):
    entry = _entry(tmp_path)
    data = json.loads(entry.model_dump_json())
    edit(data)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([data]))
    with pytest.raises(lb.LeaderboardError) as e:
        lb.load(bad)
    assert str(bad) in str(e.value) and f"'{field}" in str(e.value)


def test_unknown_schema_version_and_bad_json(tmp_path):
    data = json.loads(_entry(tmp_path).model_dump_json())
    data["schema_version"] = "9.9"
    (tmp_path / "v.json").write_text(json.dumps(data))
    with pytest.raises(lb.LeaderboardError, match="schema_version"):
        lb.load(tmp_path / "v.json")
    (tmp_path / "j.json").write_text("{")
    with pytest.raises(lb.LeaderboardError, match="not valid JSON"):
        lb.load(tmp_path / "j.json")


def test_committed_leaderboards_validate():
    from pathlib import Path

    for path in Path(__file__).parent.parent.joinpath("leaderboards").glob("*.json"):
        assert lb.load(path)
