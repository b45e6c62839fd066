"""ToolEnv behaviour shared by every task: Gymnasium API, every regime, bad input."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import toolenv
from toolenv import vocab
from toolenv.checks import replay

ALL = [(name, regime) for name in toolenv.list_tasks() for regime in toolenv.REGIMES]


@pytest.mark.parametrize("name,regime", ALL)
def test_check_env_passes_for_every_registered_env_and_regime(name, regime):
    task = toolenv.get_task(name)
    env = gym.make(toolenv.gym_id(name), regime=regime, length=task.min_length, render_mode="ansi")
    check_env(env.unwrapped)


def test_design_brief_user_code_works_word_for_word():
    assert "addition" in toolenv.list_tasks()
    task = toolenv.get_task("addition")
    problem = task.sample(np.random.default_rng(0), 20)
    trajectory = task.oracle(problem)
    assert len(trajectory.tokens) == len(trajectory.roles)
    assert task.check(problem, problem.answer)
    env = gym.make("toolenv/Addition-v0", regime="interactive")
    obs, info = env.reset(seed=0, options={"length": 20})
    for action in task.oracle(info["problem"]).actions():
        obs, reward, terminated, truncated, info = env.step(action)
    assert terminated and reward == 1.0


def test_observation_is_the_action_then_the_tool_output():
    env = toolenv.ToolEnv("addition")
    obs, info = env.reset(seed=3, options={"length": 2})
    assert vocab.decode(obs) == info["problem"].prompt
    read = vocab.pointer_command(1, "read")
    obs, *_ = env.step(read)
    assert obs.tolist() == [read, vocab.encode(info["problem"].prompt[0])[0]]
    obs, *_ = env.step(vocab.pointer_command(1, "right"))
    assert len(obs) == 1


def test_seed_gives_same_problem_and_streams_are_split():
    env = toolenv.ToolEnv("addition", length=4)
    a = env.reset(seed=7)[1]["problem"]
    b = env.reset(seed=7)[1]["problem"]
    c = env.reset(seed=8)[1]["problem"]
    assert a == b and a != c
    task = env.task
    assert task.split_of(a) == "test"
    train_env = toolenv.ToolEnv("addition", length=4, split="train")
    assert task.split_of(train_env.reset(seed=7)[1]["problem"]) == "train"


def test_invalid_actions_end_the_episode_with_a_reason():
    for bad, reason in [
        (vocab.pointer_command(4, "read"), "pointer 4 does not exist"),
        (vocab.FIND, "not a command of pointer"),
        (vocab.PAD, "not a valid action"),
        (vocab.BOS, "not a valid action"),
    ]:
        env = toolenv.ToolEnv("addition")
        env.reset(seed=0)
        obs, reward, terminated, truncated, info = env.step(bad)
        assert terminated and not truncated and reward == 0.0
        assert reason in info["invalid"] and not info["correct"]


def test_second_answer_token_is_invalid():
    env = toolenv.ToolEnv("addition", regime="direct")
    env.reset(seed=0)
    env.step(vocab.ANS)
    *_, terminated, _, info = env.step(vocab.ANS)
    assert terminated and "[ANS]" in info["invalid"]


def test_wrong_answer_gets_zero_and_token_accuracy():
    env = toolenv.ToolEnv("addition", regime="direct")
    _, info = env.reset(seed=0, options={"length": 3})
    answer = info["problem"].answer
    wrong = answer[:-1] + str((int(answer[-1]) + 1) % 10)
    for t in [vocab.ANS, *vocab.encode(wrong), vocab.EOS]:
        obs, reward, terminated, truncated, info = env.step(t)
    assert terminated and reward == 0.0 and info["output"] == wrong
    assert info["token_accuracy"] == pytest.approx((len(answer) - 1) / len(answer))


def test_direct_reversed_reads_the_written_answer_back_reversed():
    """The paper's "No-CoT, reversed answer": the sum is written least-significant digit first."""
    env = toolenv.ToolEnv("addition", regime="direct-reversed")
    _, info = env.reset(seed=3, options={"length": 4})
    answer = info["problem"].answer
    assert answer != answer[::-1]
    for written, wins in [(answer[::-1], True), (answer, False)]:
        env.reset(seed=3, options={"length": 4})
        for t in [vocab.ANS, *vocab.encode(written), vocab.EOS]:
            _, reward, terminated, _, info = env.step(t)
        assert terminated and reward == float(wins) and info["output"] == written[::-1]


def test_step_limit_truncates_and_counts_as_wrong():
    env = toolenv.ToolEnv("addition", max_steps=3)
    env.reset(seed=0)
    right = vocab.pointer_command(1, "right")
    for _ in range(2):
        assert env.step(right)[3] is False
    _, reward, terminated, truncated, info = env.step(right)
    assert truncated and not terminated and reward == 0.0 and not info["correct"]


def test_default_step_limit_comes_from_the_oracle_length():
    env = toolenv.ToolEnv("addition")
    _, info = env.reset(seed=0, options={"length": 10})
    n_actions = sum(1 for _ in env.task.oracle(info["problem"]).actions())
    assert info["step_limit"] == env.task.step_limit(n_actions) > n_actions


def test_bad_input_errors_name_the_problem():
    with pytest.raises(toolenv.UnknownTaskError, match="nosuchtask"):
        toolenv.ToolEnv("nosuchtask")
    with pytest.raises(toolenv.UnknownTaskError, match="registered tasks"):
        gym.make("toolenv/Addition-v0", task="nosuchtask")
    with pytest.raises(toolenv.ToolEnvError, match="regime"):
        toolenv.ToolEnv("addition", regime="chatty")
    for bad in (0, -3, 10**9, 2.5, True):
        with pytest.raises(toolenv.LengthError, match="length"):
            toolenv.ToolEnv("addition").reset(options={"length": bad})
    with pytest.raises(toolenv.ToolEnvError, match="lenght"):
        toolenv.ToolEnv("addition").reset(options={"lenght": 3})
    env = toolenv.ToolEnv("addition")
    with pytest.raises(RuntimeError, match="reset"):
        env.step(5)  # before any reset
    env.reset(seed=0)
    for bad in (-1, vocab.VOCAB_SIZE, 3.5, "7"):
        with pytest.raises(gym.error.InvalidAction, match="not a token id"):
            env.step(bad)
    env.step(vocab.EOS)
    with pytest.raises(RuntimeError, match="after the episode ended"):
        env.step(vocab.EOS)


def test_every_regime_replays_its_teacher():
    problem = toolenv.get_task("addition").sample(np.random.default_rng(1), 6)
    for regime in toolenv.REGIMES:
        reward, info, rebuilt = replay("addition", problem, regime)
        assert reward == 1.0 and rebuilt == toolenv.regime_trajectory(toolenv.get_task("addition"), problem, regime)


def test_render_ansi_shows_the_context():
    env = toolenv.ToolEnv("addition", render_mode="ansi")
    _, info = env.reset(seed=0)
    env.step(vocab.pointer_command(1, "read"))
    assert env.render().startswith(info["problem"].prompt + "[p1.read]")
