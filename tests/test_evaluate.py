"""evaluate(): fixed test sets per length, scores, summary, resumable output, both agent kinds."""

import warnings
import zlib
from typing import ClassVar

import numpy as np
import pytest
import torch

import toolenv
from toolenv import leaderboard as lb
from toolenv.errors import ToolEnvError
from toolenv.evaluate import evaluate
from toolenv.oracle_policy import OraclePolicy

META = {"agent": {"name": "oracle", "backbone": "oracle", "params": 0},
        "training": {"lengths": [1, 2], "steps": 0, "batch_size": 1, "seed": 0}, "command": "pytest"}


class OracleAgent:
    """The teacher as an Agent (reset/act); it recognises its problem from the prompt."""

    def __init__(self, task):
        self.task = task

    def reset(self, batch_size):
        self.plans, self.pos = [None] * batch_size, [0] * batch_size

    def act(self, observations):
        out = np.zeros(len(observations), dtype=np.int64)
        for b, o in enumerate(observations):
            if len(o) == 0:
                continue
            if self.plans[b] is None:
                text = toolenv.vocab.decode(o)
                x, y = text[:-1].split("+")
                p = toolenv.Problem("addition", len(x), text, str(int(x) + int(y)), {"a": x, "b": y})
                self.plans[b] = self.task.oracle(p).tokens.tolist()
            self.pos[b] += len(o)
            out[b] = self.plans[b][self.pos[b]]
        return out


class Fumbler(OraclePolicy):
    """The teacher, except: on problems 1 and 3 (mod 4) it gets the first answer digit wrong;
    on problem 2 it only ever moves pointer 1 right, until the step limit cuts it."""

    def prepare(self, task, problems, regime):
        super().prepare(task, problems, regime)
        first = []
        for p in problems:
            t = task.oracle(p)
            first.append(next(i for i, (tok, role) in enumerate(zip(t.tokens, t.roles))
                              if role == toolenv.Role.OUTPUT and toolenv.vocab.is_char(tok)))
        self.first_out = torch.tensor(first)

    def start(self, batch_size):
        super().start(batch_size)
        self.kind = torch.arange(batch_size) % 4

    def feed(self, tokens, active):
        choice = super().feed(tokens, active).clone()
        wrong = (self.kind % 2 == 1) & (self.pos == self.first_out)
        zero = toolenv.vocab.token_id("0")
        choice[wrong] = zero + (choice[wrong] - zero + 1) % 10
        choice[self.kind == 2] = toolenv.vocab.pointer_command(1, "right")
        return choice


def test_oracle_scores_perfectly_and_the_summary_follows(tmp_path):
    task = toolenv.get_task("addition")
    entry = evaluate(OraclePolicy(), task, [3, 1, 2], 4, meta=META, progress=False, out=tmp_path / "e.json")
    assert [r.length for r in entry.results] == [1, 2, 3]
    assert all(r.exact_accuracy == 1.0 and r.token_accuracy == 1.0 and r.solved == [0, 1, 2, 3] for r in entry.results)
    assert entry.summary.paper_style == "2→3 (100%)" and entry.summary.max_length_99 == 3
    assert entry.tool == "pointer(3)" and entry.evaluation.episodes == 4
    r = entry.results[2]
    problems = [task.problem("test", 3, i) for i in range(4)]
    plays = [list(task.oracle(p).actions()) for p in problems]
    assert r.mean_agent_tokens == sum(map(len, plays)) / 4
    assert r.mean_trajectory_tokens == sum(len(task.oracle(p)) for p in problems) / 4
    assert r.tool_calls > 0 and r.tokens_per_s > 0 and r.truncated == r.invalid == 0
    assert lb.load(tmp_path / "e.json") == [entry]


def test_the_entry_returned_is_the_one_written_even_when_the_clock_moves_on(tmp_path, monkeypatch):
    stamps = iter(f"2026-12-07T16:00:{s:02d}+00:00" for s in range(60))  # a second passes between any two reads
    monkeypatch.setattr(lb, "now", lambda: next(stamps))
    entry = evaluate(OraclePolicy(), "addition", [1, 2], 2, meta=META, progress=False, out=tmp_path / "e.json")
    assert lb.load(tmp_path / "e.json") == [entry]


def test_mistakes_and_truncations_count_as_wrong_without_stopping(tmp_path):
    entry = evaluate(Fumbler(), "addition", [2, 3], 8, meta=META, progress=False)
    for r in entry.results:
        assert r.exact_accuracy == 0.25  # kinds 0 right; 1 and 3 wrong digit; 2 truncated
        assert r.truncated == 2 and r.invalid == 0
        assert 0.25 < r.token_accuracy < 1
        assert (r.ci_low, r.ci_high) == pytest.approx(lb.wilson_interval(2, 8))
        assert r.solved == [0, 4]  # which test problems were answered, by index
    assert entry.summary.paper_style == "2→3 (25%)" and entry.summary.max_length_99 is None


def test_evaluation_set_is_the_fixed_test_stream():
    task = toolenv.get_task("addition")
    seen = []

    class Spy(OraclePolicy):
        def prepare(self, task, problems, regime):
            seen.extend(problems)
            super().prepare(task, problems, regime)

    evaluate(Spy(), task, [4], 5, seed=3, batch_size=2, progress=False)
    assert seen == [task.problem("test", 4, i, 3) for i in range(5)]
    assert all(task.split_of(p) == "test" for p in seen)


def test_agent_and_tokenpolicy_paths_agree():
    task = toolenv.get_task("addition")
    a = evaluate(OraclePolicy(), task, [2], 4, progress=False)
    b = evaluate(OracleAgent(task), task, [2], 4, progress=False)
    skip = {"seconds", "tokens_per_s"}
    assert a.results[0].model_dump(exclude=skip) == b.results[0].model_dump(exclude=skip)
    assert a.results[0].exact_accuracy == 1.0


def test_interrupted_evaluation_resumes_from_what_is_written(tmp_path):
    out = tmp_path / "partial.json"

    class Interrupted(OracleAgent):
        lengths_started: ClassVar[list[int]] = []

        def act(self, observations):
            n = (len(observations[0]) - 2) // 2 if self.plans[0] is None else None
            if n is not None:
                Interrupted.lengths_started.append(n)
                if n == 3:
                    raise KeyboardInterrupt
            return super().act(observations)

    task = toolenv.get_task("addition")
    with pytest.raises(KeyboardInterrupt):
        evaluate(Interrupted(task), task, [1, 2, 3, 4], 3, batch_size=3, meta=META, out=out, progress=False)
    assert [r.length for r in lb.load(out)[0].results] == [1, 2]  # finished lengths are on disk

    Interrupted.lengths_started = []
    resumed = evaluate(Interrupted(task), task, [1, 2, 4], 3, batch_size=3, meta=META, out=out, progress=False)
    assert Interrupted.lengths_started == [4]  # lengths 1 and 2 were not played again
    assert [r.length for r in resumed.results] == [1, 2, 4] and lb.load(out) == [resumed]
    fresh = evaluate(OracleAgent(task), task, [1, 2, 4], 3, meta=META, progress=False)
    skip = {"seconds", "tokens_per_s"}
    assert [r.model_dump(exclude=skip) for r in resumed.results] == [r.model_dump(exclude=skip) for r in fresh.results]


def test_closing_a_finished_partial_keeps_the_machine_and_command_that_measured_it(tmp_path):
    # a partial scored on a GPU and closed on a laptop must not read as measured on the laptop
    out = tmp_path / "partial.json"
    first = evaluate(OraclePolicy(), "addition", [1, 2], 3, meta={**META, "device": "cuda"}, out=out, progress=False)
    closed = evaluate(OraclePolicy(), "addition", [1, 2], 3, meta={**META, "command": "close", "device": "cpu"},
                      out=out, progress=False)
    assert (closed.command, closed.environment) == (first.command, first.environment) == ("pytest", first.environment)
    assert first.environment.device == "cuda"
    extended = evaluate(OraclePolicy(), "addition", [1, 2, 3], 3, meta={**META, "command": "more", "device": "cpu"},
                        out=out, progress=False)
    assert (extended.command, extended.environment.device) == ("more", "cpu")  # it measured length 3 here


@pytest.mark.parametrize("change,named", [
    ({"episodes": 4}, "evaluation"), ({"seed": 1}, "evaluation"), ({"max_steps": 500}, "evaluation"),
    ({"regime": "direct"}, "regime"), ({"meta": {**META, "agent": {**META["agent"], "name": "x"}}}, "agent"),
    ({"meta": {**META, "training": {**META["training"], "steps": 9}}}, "training"),
])
def test_resume_refuses_a_file_with_other_settings(tmp_path, change, named):
    out = tmp_path / "partial.json"
    evaluate(OraclePolicy(), "addition", [1], 3, meta=META, out=out, progress=False)
    args = {"episodes": 3, "meta": META, "out": out, "progress": False} | change
    with pytest.raises(toolenv.ToolEnvError, match=f"other settings \\({named}"):
        evaluate(OraclePolicy(), "addition", [1, 2], **args)


@pytest.mark.parametrize("kwargs,message", [
    ({"episodes": 0}, "episodes"), ({"batch_size": 0}, "batch_size"), ({"lengths": [0]}, "length 0"),
    ({"lengths": []}, "no lengths"), ({"regime": "telepathy"}, "regime"), ({"max_steps": 0}, "max_steps"),
])
def test_bad_arguments_are_named(kwargs, message):
    args = {"lengths": [1], "episodes": 2, "progress": False} | kwargs
    with pytest.raises(toolenv.ToolEnvError, match=message):
        evaluate(OraclePolicy(), "addition", **args)
    with pytest.raises(toolenv.ToolEnvError, match="neither a TokenPolicy"):
        evaluate(object(), "addition", [1], 1, progress=False)


def test_every_regime_of_every_task_evaluates_the_teacher_perfectly():
    for name in toolenv.list_tasks():
        task = toolenv.get_task(name)
        for regime in toolenv.REGIMES:
            entry = evaluate(OraclePolicy(), task, [task.min_length], 2, regime=regime, progress=False)
            assert entry.results[0].exact_accuracy == 1.0, (name, regime)
            assert entry.tool == {"interactive": task.tool_spec, "single-turn": "calculator"}.get(regime, "none")


class WrongFromLength3(OraclePolicy):
    """The teacher, but every answer at length >= 3 ends at once with a wrong [EOS]."""

    def feed(self, tokens, active):
        choice = super().feed(tokens, active)
        return torch.where(self.long_rows, toolenv.vocab.EOS, choice)

    def prepare(self, task, problems, regime):
        super().prepare(task, problems, regime)
        self.long_rows = torch.tensor([p.length >= 3 for p in problems])


def test_stop_at_zero_leaves_out_the_lengths_after_the_first_total_failure():
    entry = evaluate(WrongFromLength3(), "addition", [1, 2, 3, 4, 5], 4, meta=META, progress=False, stop_at_zero=True)
    assert [(r.length, r.exact_accuracy) for r in entry.results] == [(1, 1.0), (2, 1.0), (3, 0.0)]
    full = evaluate(WrongFromLength3(), "addition", [1, 2, 3, 4], 4, meta=META, progress=False)
    assert [r.length for r in full.results] == [1, 2, 3, 4]


def test_together_plays_all_lengths_in_shared_batches_with_the_same_results(tmp_path):
    """The joint batches give each length the episodes of a length-by-length evaluation; a file
    that already holds some lengths is resumed with the others only, two lengths per batch here."""
    out = tmp_path / "e.json"
    evaluate(WrongFromLength3(), "addition", [1, 2], 4, meta=META, progress=False, out=out)
    played = []
    joint_policy = WrongFromLength3()
    prepare = joint_policy.prepare
    joint_policy.prepare = lambda task, problems, regime: (played.append(sorted({p.length for p in problems})),
                                                          prepare(task, problems, regime))
    joint = evaluate(joint_policy, "addition", [1, 2, 3, 4, 5], 4, batch_size=9, meta=META, progress=False,
                     out=out, together=True)
    assert played == [[3, 4], [5]]  # 9 rows hold 2 lengths of 4 episodes: 3 and 4 together, then 5
    apart = evaluate(WrongFromLength3(), "addition", [1, 2, 3, 4, 5], 4, meta=META, progress=False)
    skip = {"seconds", "tokens_per_s"}
    assert [r.model_dump(exclude=skip) for r in joint.results] == [r.model_dump(exclude=skip) for r in apart.results]
    assert lb.load(out) == [joint]
    with pytest.raises(ToolEnvError, match="together"):
        evaluate(WrongFromLength3(), "addition", [1, 2], 4, meta=META, progress=False, together=True, stop_at_zero=True)


def test_cli_extend_plays_only_the_lengths_an_entry_lacks(tmp_path, capsys):
    """`toolenv eval --extend`: a finished entry gains longer lengths without re-measuring the
    ones it holds (session 9 re-scored 10-500 gates for 1,400 s to add 1,000 without it)."""
    from agents.train import TrainConfig, train
    from toolenv.cli import main

    ckpt, out = str(tmp_path / "ckpt"), str(tmp_path / "board.json")
    train(TrainConfig(tasks=[{"name": "addition", "max_length": 2}], backbone="gru", size="tiny", steps=1,
                      batch_size=2, val_every=0, val_episodes=0, out_dir=ckpt), progress=False)
    common = ["--episodes", "2", "--batch-size", "2", "--name", "g", "--out", out]
    assert main(["eval", ckpt, "--lengths", "1,2", "--extend", *common]) == 2  # nothing to extend yet
    assert "holds no entry of g on addition" in " ".join(capsys.readouterr().err.split())  # rich wraps lines
    assert main(["eval", ckpt, "--lengths", "1", *common]) == 0
    first = lb.load(out)[0].results[0]
    assert main(["eval", ckpt, "--lengths", "1,3", "--extend", *common]) == 0
    [extended] = lb.load(out)
    assert [r.length for r in extended.results] == [1, 3] and extended.results[0] == first  # kept, not replayed
    assert not list(tmp_path.glob("*.partial-*"))
    assert main(["eval", ckpt, "--lengths", "1", "--episodes", "3", "--batch-size", "2", "--name", "g", "--out", out,
                 "--extend"]) == 2  # other settings: refused, as for a resumed evaluation
    assert "other settings (evaluation)" in " ".join(capsys.readouterr().err.split())
    assert not list(tmp_path.glob("*.partial-*")) and lb.load(out) == [extended]
    # graphs demanded where they cannot apply (a CPU policy): one line naming why, exit code 2
    assert main(["eval", ckpt, "--lengths", "1", "--cuda-graphs", "on", *common[:4], "--out",
                 str(tmp_path / "g.json")]) == 2
    assert "cuda_graphs=True, but the policy runs on cpu" in " ".join(capsys.readouterr().err.split())
    assert main(["eval", ckpt, "--lengths", "1", "--cuda-graphs", "off", *common[:4], "--out",
                 str(tmp_path / "g.json")]) == 0


@pytest.mark.parametrize("together", [False, True])
def test_out_of_gpu_memory_plays_the_batch_again_in_halves_with_the_same_results(tmp_path, together):
    class Steady(Fumbler):  # fumbles by problem, not by row: batched any way, it plays each problem alike
        def prepare(self, task, problems, regime):
            super().prepare(task, problems, regime)
            self.kinds = torch.tensor([zlib.crc32(repr(p).encode()) % 4 for p in problems])

        def start(self, batch_size):
            super().start(batch_size)
            self.kind = self.kinds

    class Greedy(Steady):  # out of GPU memory with more than 3 rows
        rows: ClassVar[list[int]] = []

        def start(self, batch_size):
            Greedy.rows.append(batch_size)
            if batch_size > 3:
                raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 462.00 MiB")
            super().start(batch_size)

    kw = {"meta": META, "progress": False, "together": together}
    whole = evaluate(Steady(), "addition", [2, 3], 8, batch_size=16, **kw)
    with pytest.warns(RuntimeWarning, match=r"out of GPU memory playing (16|8|4) episodes at once: batches of (8|4|2) "):
        halved = evaluate(Greedy(), "addition", [2, 3], 8, batch_size=16, out=tmp_path / "e.json", **kw)
    assert [r.model_dump(exclude={"seconds", "tokens_per_s"}) for r in halved.results] == \
        [r.model_dump(exclude={"seconds", "tokens_per_s"}) for r in whole.results]
    assert Greedy.rows[-4:] == [2, 2, 2, 2]  # the last length too: the rest of the evaluation stays at 2 rows

    class Hopeless(Steady):
        def start(self, batch_size):
            raise torch.OutOfMemoryError("CUDA out of memory")

    with pytest.raises(torch.OutOfMemoryError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        evaluate(Hopeless(), "addition", [2], 4, batch_size=4, meta=META, progress=False)


def test_off_a_terminal_progress_is_a_line_per_batch_and_per_length(capsys):
    """A background evaluation's log shows where it is and what each length scored (session 38's CPU
    evaluation wrote nothing for minutes: rich draws no bar off a terminal)."""
    evaluate(Fumbler(), "addition", [2, 3], 8, meta=META, batch_size=4)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(": ", 1)[1].split(",")[0] for line in lines] == [
        "length 2", "length 2", "length 2: 25% exact (2/8)", "length 3", "length 3", "length 3: 25% exact (2/8)"]
    assert lines[1].split(", ")[1] == "8/16 episodes" and lines[4].split(", ")[1] == "16/16 episodes"
    evaluate(Fumbler(), "addition", [2, 3], 8, meta=META, batch_size=16, together=True)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and lines[0].startswith("eval oracle on addition: lengths [2, 3], 16/16 episodes, ")
    assert [line.split(",")[0] for line in lines[1:]] == [
        "eval oracle on addition: length 2: 25% exact (2/8)", "eval oracle on addition: length 3: 25% exact (2/8)"]
    evaluate(Fumbler(), "addition", [2], 8, meta=META, progress=False)
    assert capsys.readouterr().out == ""
