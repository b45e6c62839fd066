"""toolenv.divergence: where an episode first leaves the oracle's trajectory."""

import numpy as np
import pytest

from toolenv import vocab
from toolenv.divergence import (
    Divergence,
    copy_distance,
    distance_bucket,
    divergence,
    divergences,
    first_difference,
    line_shape,
    longest_context,
    position_bucket,
    summary,
    word_span,
)
from toolenv.oracle_policy import OraclePolicy
from toolenv.registry import get_task
from toolenv.rollout import rollout
from toolenv.trajectory import Role, Trajectory


def test_first_difference():
    assert first_difference([1, 2, 3], [1, 2, 3]) is None
    assert first_difference([1, 2, 3], [1, 5, 3]) == 1
    assert first_difference([1, 2], [1, 2, 3]) == 2 and first_difference([1, 2, 3], [1, 2]) == 2


def test_the_oracle_never_diverges():
    task = get_task("addition")
    problems = [task.problem("test", 7, i, 0) for i in range(4)]
    found = divergences(task, rollout(OraclePolicy(), task, problems, record=True))
    assert found == [None] * 4
    assert summary(found)["by role"] == [("none (followed the oracle)", 4)]


def test_line_shapes_group_the_same_place_in_lines_with_different_labels():
    assert line_shape("[end]v541=False and v9") == line_shape("[end]v12=False and v3") == "[end]v#=False and v#"
    assert line_shape("v5 for v") != line_shape("v5=not v")
    assert summary([None, None], top=None)["by line"] == []  # episodes that followed the oracle


def test_a_wrong_agent_token_is_located_with_its_role_and_line():
    task = get_task("logical_graph")
    oracle = task.oracle(task.problem("test", 5, 0, 0))
    roles = oracle.roles.tolist()
    k = next(i for i, r in enumerate(roles) if r == Role.THOUGHT and oracle.tokens[i] == vocab.token_id("T"))
    tokens = oracle.tokens.copy()
    tokens[k] = vocab.token_id("F")  # the agent wrote False where the oracle wrote True
    agent = Trajectory(tokens[: k + 1], np.asarray(roles[: k + 1], dtype=np.int8))
    d = divergence(3, agent, oracle, correct=False)
    assert (d.episode, d.position, d.role, d.expected, d.chosen) == (3, k, "thought", "T", "F")
    assert d.line.endswith(("=", " ")) and "\n" not in d.line  # this line, up to the value written wrong
    s = summary([d, None])
    assert s["by role"] == [("thought", 1), ("none (followed the oracle)", 1)]
    assert s["by token"] == [("'T' -> 'F'", 1)]
    assert s["by line"] == [(repr(line_shape(d.line)), 1)] and "#" in line_shape(d.line)
    assert divergence(0, Trajectory(oracle.tokens[:k], oracle.roles[:k]), oracle, True).role == Role(roles[k]).name.lower()


def test_cli_reports_an_untrained_checkpoints_divergences(tmp_path, capsys):
    from agents.train import TrainConfig, train
    from toolenv.cli import main

    cfg = TrainConfig(tasks=[{"name": "addition", "max_length": 2}], backbone="gru", size="tiny", steps=1,
                      batch_size=2, val_every=0, val_episodes=0, out_dir=str(tmp_path / "ckpt"))
    train(cfg, progress=False)
    assert main(["diverge", str(tmp_path / "ckpt"), "--length", "2", "--episodes", "3", "--show", "1"]) == 0
    out = capsys.readouterr().out
    assert "addition length 2, interactive: 0/3 correct" in out and "by role" in out and "episode 0" in out
    assert "by line" in out and "by copy distance" in out
    trained = longest_context(get_task("addition"), 2, 3)
    assert f"teacher contexts at the training length (2): at most {trained} tokens" in out
    assert "by position" in out and f"< {trained}" in out


def test_cli_tables_print_special_tokens_as_text():
    from rich.console import Console

    from toolenv.cli import _divergence_tables
    from toolenv.divergence import Divergence

    d = Divergence(episode=0, position=9, role="command", expected="[find]", chosen="v", line="[end]v12=", correct=False)
    console = Console(record=True, width=120)
    for table in _divergence_tables([d], top=None):
        console.print(table)
    out = console.export_text()
    assert "'[find]' -> 'v'" in out and "'[end]v#='" in out


def test_a_word_is_the_run_of_letters_and_digits_around_a_position_and_may_end_there():
    tokens = vocab.encode("v12=v345 and v12")
    assert word_span(tokens, 5) == (4, 8)  # inside v345
    assert word_span(tokens, 8) == (4, 8)  # the '=' after it: the word that position closes
    assert word_span(tokens, 3) == (0, 3)
    assert word_span(vocab.encode("= ="), 1) == (1, 1)  # no word there


def test_copy_distance_finds_the_last_whole_earlier_occurrence():
    tokens = vocab.encode("v12=v345 and v123 or v12")
    start = len(tokens) - 3
    assert copy_distance(tokens, start, len(tokens)) == start  # v123 holds v12 but is a longer word
    assert copy_distance(tokens, 4, 8) is None  # v345 occurs nowhere before
    assert copy_distance(tokens, 4, 4) is None


def test_a_miscopied_label_is_reported_whole_with_how_far_back_it_was_copied_from():
    task = get_task("logical_graph")
    oracle = task.oracle(task.problem("test", 5, 0, 0))
    o, roles = oracle.tokens.tolist(), oracle.roles.tolist()
    find_end = vocab.token_id("[/find]")
    # the last digit of the first label the agent writes in a query that occurred earlier
    k = next(i for i in range(1, len(o) - 1) if roles[i] == Role.COMMAND and vocab.token_name(o[i]).isdigit()
             and not vocab.token_name(o[i + 1]).isdigit() and o[i + 1] != find_end and "v" in vocab.decode(o[:i]))
    start, end = word_span(o, k)
    label = vocab.decode(o[start:end])
    wrong = vocab.token_id("0" if label[-1] != "0" else "1")
    agent = Trajectory(np.asarray(o[:k] + [wrong]), np.asarray(roles[: k + 1], dtype=np.int8))
    d = divergence(0, agent, oracle, correct=False)
    assert d.word == label and label.startswith("v") and d.written == label[:-1] + vocab.token_name(wrong)
    j = start - d.copy_distance
    assert o[j:j + end - start] == o[start:end] and vocab.decode(o[j + end - start:start]).count(label) == 0
    assert summary([d])["by copy distance"] == [(distance_bucket(d), 1)]
    far = Divergence(episode=0, position=0, role="command", expected="1", chosen="2", line="", correct=False,
                     word="v1", written="v2", copy_distance=300)
    assert distance_bucket(far) == "257-1024" and distance_bucket(d).split("-")[0].isdigit()


def test_positions_are_counted_against_the_longest_training_context():
    task = get_task("addition")
    trained = longest_context(task, 5, 8)
    assert trained == max(len(task.oracle(task.problem("test", 5, i, 0)).tokens) for i in range(8))
    assert longest_context(task, 10, 8) > trained  # longer problems, longer contexts

    def at(position):
        return Divergence(0, position, "thought", "1", "2", "", False)

    found = [at(0), at(trained - 1), at(trained), at(2 * trained), at(4 * trained + 7), None]
    assert [position_bucket(d, trained) for d in found[:3]] == [
        f"within the training contexts (< {trained})"] * 2 + [f"{trained}-{2 * trained - 1} (1-2x)"]
    assert summary(found, trained_context=trained)["by position"] == [
        (f"within the training contexts (< {trained})", 2), (f"{trained}-{2 * trained - 1} (1-2x)", 1),
        (f"{2 * trained}-{4 * trained - 1} (2-4x)", 1), (f"{4 * trained} and later (4x+)", 1)]
    assert "by position" not in summary(found)
    with pytest.raises(ValueError, match="trained_context"):
        position_bucket(at(3), 0)
