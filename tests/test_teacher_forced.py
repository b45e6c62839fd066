"""TeacherForcedLM: the teacher's episodes (real tool calls) with a model reading every token; its
digest identifies the model's own steps."""

import torch

import toolenv
from agents.builder import build_backbone
from agents.teacher_forced import TeacherForcedLM
from toolenv.rollout import rollout


def test_episodes_follow_the_teacher_and_the_digest_follows_the_model():
    task = toolenv.get_task("logical_graph")
    problems = [task.problem("test", n, i) for n in (2, 4) for i in range(2)]
    digests = []
    for seed in (0, 0, 1):
        torch.manual_seed(seed)
        agent = TeacherForcedLM(build_backbone("gru", "tiny", {}), task, problems)
        results = rollout(agent, task, problems)
        assert all(r.correct and r.tool_calls > 3 for r in results)
        digests.append(agent.digest.tolist())
    assert digests[0] == digests[1] != digests[2]  # same weights, same steps; other weights, other choices
