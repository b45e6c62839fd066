"""The batched engine and ToolEnv give identical episodes (tokens, roles, outputs, rewards, step
counts, tool calls, invalid/truncated flags) for the same policy decisions."""

import numpy as np
import pytest
import torch
from gymnasium.error import InvalidAction

import toolenv
from toolenv import vocab
from toolenv.oracle_policy import OraclePolicy
from toolenv.policy import AgentPolicy
from toolenv.rollout import rollout
from toolenv.tools import PointerMemory

# -- the reference: every episode through its own ToolEnv, driven by the same TokenPolicy ------


def reference(policy, task, problems, regime="interactive", max_steps=None):
    """Play each problem in a ToolEnv. A TokenPolicy is fed every observation token, one step
    per token for the batch, and acts on its choice after the last one; an Agent gets each
    step's observations in one act() call, as in the Agent protocol."""
    envs = [toolenv.ToolEnv(task, regime=regime, max_steps=max_steps) for _ in problems]
    pending = [list(env.reset(options={"problem": p})[0]) for env, p in zip(envs, problems)]
    B = len(problems)
    is_agent = hasattr(policy, "act")  # an Agent gets each step's observation whole
    policy.reset(B) if is_agent else policy.start(B)
    choice = torch.zeros(B, dtype=torch.long)
    done, out = [False] * B, [None] * B
    while not all(done):
        if is_agent:
            choice = torch.as_tensor(policy.act([np.asarray(q, dtype=np.int64) for q in pending]))
            pending = [[] for _ in pending]
        while any(pending):
            active = torch.tensor([bool(q) for q in pending])
            tokens = torch.tensor([q.pop(0) if q else vocab.PAD for q in pending])
            choice = torch.where(active, policy.feed(tokens, active).cpu(), choice)
        for b, env in enumerate(envs):
            if not done[b]:
                obs, reward, terminated, truncated, info = env.step(int(choice[b]))
                if terminated or truncated:
                    done[b] = True
                    traj = env.trajectory()
                    out[b] = {"tokens": traj.tokens.tolist(), "roles": traj.roles.tolist(), "reward": reward,
                                  "output": info["output"], "steps": info["steps"], "tool_calls": info["tool_calls"],
                                  "token_accuracy": info["token_accuracy"], "truncated": truncated,
                                  "invalid": "invalid" in info}
                else:
                    pending[b] = list(obs)
    return out


def assert_same(fast, ref):
    assert len(fast) == len(ref)
    for x, y in zip(fast, ref):
        assert x.tokens == y["tokens"], vocab.decode(x.tokens) + "\n!=\n" + vocab.decode(y["tokens"])
        assert x.roles == y["roles"]
        assert x.trajectory() == toolenv.Trajectory(y["tokens"], y["roles"])
        assert (x.output, float(x.correct), x.steps, x.tool_calls, x.truncated, x.invalid) == (
            y["output"], y["reward"], y["steps"], y["tool_calls"], y["truncated"], y["invalid"])
        assert x.token_accuracy == y["token_accuracy"]
        assert x.context_tokens == len(y["tokens"])


# -- policies ----------------------------------------------------------------------------------

# tokens a careless agent emits: commands of every pointer and tool, [EOS] early, [PAD]/[BOS],
# [ANS], newline and digits
_MISTAKES = torch.tensor(sorted(vocab.COMMAND_IDS) + [vocab.PAD, vocab.BOS, vocab.EOS, vocab.ANS]
                         + vocab.encode("0123456789=\n"))


class NoisyOracle(OraclePolicy):
    """Follows the teacher, but with probability p per step emits a mistake (a random command,
    [EOS], [PAD], [ANS], a digit...). The decision at context position t of row b is a fixed
    function of (b, t), so both paths make the same decisions however they call feed()."""

    def __init__(self, task, problems, regime, p, seed):
        super().__init__(task, problems, regime)
        gen = torch.Generator().manual_seed(seed)
        shape = (len(problems), 4096)
        self.noise = _MISTAKES[torch.randint(0, len(_MISTAKES), shape, generator=gen)]
        self.flip = torch.rand(shape, generator=gen) < p

    def feed(self, tokens, active):
        choice = super().feed(tokens, active)
        pos = self.pos.clamp(max=self.noise.shape[1] - 1)[:, None]
        return torch.where(self.flip.gather(1, pos)[:, 0], self.noise.gather(1, pos)[:, 0], choice)


class PromptAgent:
    """An Agent (reset/act) that needs ToolEnv's observation boundaries: it recognises its
    problem from the first observation (the whole prompt) and then replays the teacher."""

    def __init__(self, task, problems):
        self.task, self.by_prompt = task, {tuple(vocab.encode(p.prompt)): p for p in problems}

    def reset(self, batch_size):
        self.plans, self.pos = [None] * batch_size, [0] * batch_size

    def act(self, observations):
        out = np.zeros(len(observations), dtype=np.int64)
        for b, o in enumerate(observations):
            if len(o) == 0:
                continue
            if self.plans[b] is None:
                self.plans[b] = self.task.oracle(self.by_prompt[tuple(o.tolist())]).tokens.tolist()
            self.pos[b] += len(o)
            out[b] = self.plans[b][self.pos[b]]
        return out


# -- every task, every regime --------------------------------------------------------------------


def _problems(task, n=3):
    lo = task.min_length
    return [task.problem("test", length, i) for length in (lo, lo + 1) for i in range(n)]


@pytest.mark.parametrize("name", toolenv.list_tasks())
@pytest.mark.parametrize("regime", toolenv.REGIMES)
def test_oracle_rollouts_equal_toolenv_and_win(name, regime):
    task = toolenv.get_task(name)
    problems = _problems(task)
    fast = rollout(OraclePolicy(task, problems, regime), task, problems, regime, record=True)
    assert_same(fast, reference(OraclePolicy(task, problems, regime), task, problems, regime))
    assert all(r.correct and not r.truncated and not r.invalid for r in fast)


@pytest.mark.parametrize("name", toolenv.list_tasks())
@pytest.mark.parametrize("regime", toolenv.REGIMES)
def test_careless_policy_rollouts_equal_toolenv(name, regime):
    """Divergence, invalid actions, early [EOS] and truncation take the same paths."""
    task = toolenv.get_task(name)
    problems = _problems(task, 4)
    p = 0.3 if regime in ("single-turn", "direct", "direct-reversed") else 0.03
    fast = rollout(NoisyOracle(task, problems, regime, p, 1), task, problems, regime, record=True, max_steps=120,
                   sync_every=3)
    assert_same(fast, reference(NoisyOracle(task, problems, regime, p, 1), task, problems, regime, max_steps=120))


def test_careless_policy_reaches_every_ending():
    task = toolenv.get_task("addition")
    problems = [task.problem("test", n, i) for n in (1, 3, 6) for i in range(8)]
    for regime in toolenv.REGIMES:
        fast = rollout(NoisyOracle(task, problems, regime, 0.05, 2), task, problems, regime, max_steps=150)
        endings = {("invalid" if r.invalid else "truncated" if r.truncated else "correct" if r.correct else "wrong")
                   for r in fast}
        assert {"invalid", "correct"} <= endings, (regime, endings)
    fast = rollout(NoisyOracle(task, problems, "interactive", 0.05, 2), task, problems, max_steps=60)
    assert any(r.truncated for r in fast)


# -- tools without a table form: the search tool and a plugin's own tool -------------------------


class Lookup(toolenv.Task):
    """``key=value`` lines, then ``?key``; the answer is the value. The oracle searches."""

    name = "lookup"

    def make_tool(self):
        return toolenv.SearchMemory()

    def sample(self, rng, length):
        keys = rng.choice(100, size=length, replace=False)
        values = rng.integers(0, 1000, size=length)
        q = int(rng.integers(length))
        lines = "".join(f"k{k}={v}\n" for k, v in zip(keys, values))
        return toolenv.Problem(self.name, length, f"{lines}?k{keys[q]}", str(values[q]))

    def oracle(self, problem):
        b = toolenv.TrajectoryBuilder(problem.prompt, self.make_tool())
        key = problem.prompt.rsplit("?", 1)[1]
        line = b.find(key + "=")[0]
        b.answer()
        b.output(line.split("=")[1])
        return b.finish()

    def check(self, problem, output):
        return output == problem.answer


class CustomPointer(PointerMemory):
    """A plugin's own tool (a subclass may behave differently): the engine falls back to Python."""


class CustomSearch(toolenv.SearchMemory):
    """Likewise; its [find] and query characters are commands that are not calls."""


class CustomLookup(Lookup):
    def make_tool(self):
        return CustomSearch()


def addition(tool=PointerMemory):
    from tasks.addition import Addition

    class WithTool(Addition):
        def make_tool(self):
            return tool(3)

    return WithTool()


TOOL_TASKS = {"pointer": addition, "search": Lookup, "python-pointer": lambda: addition(CustomPointer),
              "python-search": CustomLookup}
P = vocab.pointer_command


def pointer_macros(rng):
    """(weight, tokens) for one move of a careless pointer user: walk a pointer far and read,
    write a digit, [ANS] (the second one is invalid), or end the episode one way or another."""
    k, r = int(rng.integers(1, 4)), int(rng.integers(0, 9))
    return [(4, [P(k, "right")] * r + [P(k, "read")]), (4, [P(k, "left")] * r + [P(k, "read")]),
            (1, [P(k, "home"), P(k, "read")]), (3, vocab.encode(str(r))), (0.5, [vocab.ANS]),
            (0.5, [rng.choice([vocab.EOS, vocab.PAD, vocab.FIND, P(4, "read"), vocab.CALC])])]


def search_macros(rng):
    """... of the search tool: queries of 0-3 characters (empty ones are invalid), content,
    a query broken by [ANS], a stray [/find] or another tool's command."""
    query = vocab.encode("".join(rng.choice(list("k=0123?"), size=int(rng.integers(1, 4)))))
    return [(4, [vocab.FIND, *query, vocab.FIND_END]), (4, vocab.encode(str(rng.choice(list("k=01\n"))))),
            (0.2, [vocab.FIND, vocab.FIND_END]), (0.2, [vocab.FIND, *query, vocab.ANS]), (0.3, [vocab.ANS]),
            (0.2, [rng.choice([vocab.EOS, vocab.FIND_END, vocab.CALC, vocab.PAD])])]


class Scripted:
    """An Agent (reset/act) whose n-th action in episode b is a fixed function of (b, n): a
    stream of weighted random macros."""

    def __init__(self, macros, seed, batch_size):
        rng = np.random.default_rng(seed)
        self.streams = []
        for _ in range(batch_size):
            stream = []
            while len(stream) < 400:
                options = macros(rng)
                w = np.array([weight for weight, _ in options])
                stream += [int(t) for t in options[rng.choice(len(options), p=w / w.sum())][1]]
            self.streams.append(stream)

    def reset(self, batch_size):
        self.n = [0] * batch_size

    def act(self, observations):
        out = np.zeros(len(observations), dtype=np.int64)
        for b, o in enumerate(observations):
            if len(o):
                out[b], self.n[b] = self.streams[b][self.n[b]], self.n[b] + 1
        return out


@pytest.mark.parametrize("name", TOOL_TASKS)
@pytest.mark.parametrize("p", [0.0, 0.08])
def test_tools_equal_toolenv_with_noisy_teacher(name, p):
    task = TOOL_TASKS[name]()
    problems = [task.problem("test", n, i) for n in (2, 5) for i in range(6)]
    fast = rollout(NoisyOracle(task, problems, "interactive", p, 3), task, problems, record=True, max_steps=200)
    assert_same(fast, reference(NoisyOracle(task, problems, "interactive", p, 3), task, problems, max_steps=200))
    if p == 0:
        assert all(r.correct for r in fast)
    else:
        assert not all(r.correct for r in fast)


@pytest.mark.parametrize("name", TOOL_TASKS)
def test_tools_equal_toolenv_in_their_corners(name):
    """Pointers read before the start and past the end, queries are empty or match nothing,
    commands of other tools arrive; the engine (via AgentPolicy) and ToolEnv agree."""
    task = TOOL_TASKS[name]()
    problems = [task.problem("test", 1, i) for i in range(24)]
    macros = search_macros if "search" in name else pointer_macros
    fast = rollout(AgentPolicy(Scripted(macros, 4, 24)), task, problems, record=True, max_steps=60)
    assert_same(fast, reference(Scripted(macros, 4, 24), task, problems, max_steps=60))
    assert any(r.invalid for r in fast) and any(r.truncated for r in fast)
    obs = [t for r in fast for t, role in zip(r.tokens, r.roles) if role == toolenv.Role.OBSERVATION]
    if "pointer" in name:
        assert vocab.BOS in obs and vocab.EOS in obs
    else:  # some searches found lines, some found nothing
        assert vocab.token_id("k") in obs and any(r.tokens.count(vocab.END) > 1 for r in fast)


# -- Agent-protocol agents through AgentPolicy -----------------------------------------------------


def test_agent_policy_shows_the_agent_what_toolenv_shows():
    task = toolenv.get_task("addition")
    problems = [task.problem("test", n, i) for n in (1, 4) for i in range(3)]
    fast = rollout(AgentPolicy(PromptAgent(task, problems)), task, problems, record=True)
    assert_same(fast, reference(OraclePolicy(task, problems), task, problems))
    assert all(r.correct for r in fast)


def test_agent_policy_rejects_actions_outside_the_vocabulary():
    task = toolenv.get_task("addition")
    problems = [task.problem("test", 2, 0)]

    class Bad(PromptAgent):
        def act(self, observations):
            return np.full(len(observations), vocab.VOCAB_SIZE)

    with pytest.raises(InvalidAction, match="not a token id"):
        rollout(AgentPolicy(Bad(task, problems)), task, problems)
    with pytest.raises(TypeError, match="reset"):
        AgentPolicy(object())


# -- untrained language models (the LMAgent of agents/) ------------------------------------------


def test_untrained_lm_agents_equal_toolenv():
    lm_agent = pytest.importorskip("agents.lm_agent", reason="agents/lm_agent.py is not there yet")
    builder = pytest.importorskip("agents.builder", reason="agents/builder.py is not there yet")
    task = toolenv.get_task("addition")
    problems = [task.problem("test", n, i) for n in (2, 4) for i in range(4)]
    for name in ("mamba2", "transformer"):
        torch.manual_seed(0)
        agent = lm_agent.LMAgent(builder.build_backbone(name, "tiny"))
        fast = rollout(agent, task, problems, record=True, max_steps=60)
        assert_same(fast, reference(agent, task, problems, max_steps=60))
        slow = rollout(AgentPolicy(agent), task, problems, record=True, max_steps=60)
        assert [r.tokens for r in slow] == [r.tokens for r in fast]


# -- limits and bad input ---------------------------------------------------------------------------


def test_step_limit_counts_as_wrong_without_stopping_the_batch():
    task = toolenv.get_task("addition")
    problems = [task.problem("test", 3, i) for i in range(3)] + [task.problem("test", 1, 0)]
    limit = sum(1 for _ in task.oracle(problems[-1]).actions())
    res = rollout(OraclePolicy(task, problems), task, problems, max_steps=limit)
    assert all(r.truncated and not r.correct and r.steps == limit for r in res[:3])
    assert res[3].correct and not res[3].truncated


def test_bad_input_is_named():
    task = toolenv.get_task("addition")
    other = toolenv.get_task("sorting").problem("test", 2, 0)
    with pytest.raises(toolenv.ToolEnvError, match="not one of its problems"):
        rollout(OraclePolicy(), task, [other])
    with pytest.raises(toolenv.ToolEnvError, match="max_steps"):
        rollout(OraclePolicy(), task, [task.problem("test", 2, 0)], max_steps=0)
    with pytest.raises(toolenv.ToolEnvError, match="regime"):
        rollout(OraclePolicy(), task, [task.problem("test", 2, 0)], regime="telepathy")
    assert rollout(OraclePolicy(), task, []) == []
