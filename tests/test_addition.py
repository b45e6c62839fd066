"""Addition: oracle replay at every length, independent checker, splits, seeding."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import toolenv
from toolenv import vocab
from toolenv.checks import check_task, replay
from toolenv.trajectory import Role

TASK = toolenv.get_task("addition")


def test_task_contract():
    check_task(TASK, lengths=(1, 2, 7))


@given(length=st.integers(1, 30), seed=st.integers(0, 2**32 - 1))
def test_oracle_replay_is_correct_at_every_small_length(length, seed):
    problem = TASK.sample(np.random.default_rng(seed), length)
    a, b = int(problem.meta["a"]), int(problem.meta["b"])
    assert len(problem.meta["a"]) == len(problem.meta["b"]) == length
    assert problem.answer == str(a + b)
    reward, info, rebuilt = replay(TASK, problem)
    assert reward == 1.0 and info["output"] == str(a + b)
    assert rebuilt == TASK.oracle(problem)


@pytest.mark.parametrize("length", [100, 500, 1000])
def test_oracle_replay_is_correct_at_long_lengths(length):
    problem = TASK.problem("test", length, 0)
    reward, info, _ = replay(TASK, problem)
    assert reward == 1.0 and info["output"] == str(int(problem.meta["a"]) + int(problem.meta["b"]))


def test_oracle_cost_grows_linearly():
    sizes = {n: len(TASK.oracle(TASK.problem("test", n, 0))) for n in (10, 100, 1000)}
    assert sizes[1000] < 40 * 1000 and sizes[1000] / sizes[100] < 10.5


def test_checker_agrees_with_python_integers_not_the_oracle():
    rng = np.random.default_rng(0)
    for _ in range(200):
        p = TASK.sample_train(rng, 8)
        a, b = int(p.meta["a"]), int(p.meta["b"])
        assert TASK.check(p, str(a + b))
        assert not TASK.check(p, str(a + b + 1))
        assert not TASK.check(p, "0" + str(a + b))  # not canonical
        assert not TASK.check(p, "")
    p = TASK.sample(rng, 6000)  # above Python's default 4300-digit int<->str limit
    assert TASK.check(p, p.answer) and not TASK.check(p, p.answer[:-1] + str((int(p.answer[-1]) + 1) % 10))


def test_changing_any_single_output_token_gives_reward_zero():
    problem = TASK.sample(np.random.default_rng(5), 9)
    actions = list(TASK.oracle(problem).actions())
    ans = actions.index(vocab.ANS)
    output_positions = [i for i in range(ans + 1, len(actions)) if vocab.is_char(actions[i])]
    trajectory = TASK.oracle(problem)
    output_tokens = trajectory.tokens[trajectory.roles == Role.OUTPUT]
    assert len([t for t in output_tokens if vocab.is_char(t)]) == len(problem.answer)
    for i in output_positions:
        env = toolenv.ToolEnv(TASK)
        env.reset(options={"problem": problem})
        wrong = vocab.token_id(str((int(vocab.token_name(actions[i])) + 1) % 10))
        for j, action in enumerate(actions):
            obs, reward, terminated, truncated, info = env.step(wrong if j == i else action)
            if terminated or truncated:
                break
        assert reward == 0.0, f"changing output token {i} still got reward 1"


def test_loss_mask_covers_exactly_agent_tokens():
    traj = TASK.oracle(TASK.sample(np.random.default_rng(2), 5))
    mask = traj.loss_mask()
    roles = traj.roles
    assert set(roles[mask].tolist()) == {Role.THOUGHT, Role.COMMAND, Role.OUTPUT}
    assert set(roles[~mask].tolist()) == {Role.PROMPT, Role.OBSERVATION}
    assert mask[(traj.tokens == vocab.ANS) & (roles == Role.OUTPUT)].sum() == 1 and mask[-1] and traj.tokens[-1] == vocab.EOS
    assert list(traj.actions()) == traj.tokens[mask].tolist()


def test_training_problems_draw_both_operand_lengths_up_to_n():
    rng = np.random.default_rng(0)
    pairs = {(len(p.meta["a"]), len(p.meta["b"])) for p in (TASK.sample_train(rng, 5) for _ in range(2000))}
    assert pairs == {(i, j) for i in range(1, 6) for j in range(1, 6)}


def test_same_seed_same_problems():
    assert [TASK.problem("test", 12, i, seed=3) for i in range(5)] == [TASK.problem("test", 12, i, seed=3) for i in range(5)]
    assert TASK.problem("test", 12, 0, seed=3) != TASK.problem("test", 12, 0, seed=4)


def test_training_and_test_streams_are_disjoint():
    train = {TASK.problem("train", 3, i).prompt for i in range(8000)}
    test = {TASK.problem("test", n, i).prompt for n in (1, 2, 3) for i in range(1500)}
    assert len(train) > 4000 and len(test) > 1000
    assert not train & test
    # length 1 has only 100 problems; both splits still get some, and never the same
    assert {TASK.split_of(TASK.problem(s, 1, i)) for s in ("train", "test") for i in range(50)} == {"train", "test"}
