"""Reverse a word with one pointer: walk to '=', answer, then read leftwards to the start."""

import numpy as np

import toolenv


class Reverse(toolenv.Task):
    name = "reverse"
    description = "reverse a lowercase word; one pointer"
    max_length = 10_000
    default_length = 8
    train_length = 8

    def make_tool(self):
        return toolenv.PointerMemory(1)

    def sample(self, rng: np.random.Generator, length: int) -> toolenv.Problem:
        self.check_length(length)
        word = "".join(chr(97 + int(i)) for i in rng.integers(0, 26, size=length))
        return toolenv.Problem(self.name, length, word + "=", word[::-1], {"word": word})

    def oracle(self, problem: toolenv.Problem) -> toolenv.Trajectory:
        b = toolenv.TrajectoryBuilder(problem.prompt, self.make_tool())
        while b.read(1) != "=":
            b.right(1)
        b.answer()
        b.left(1)
        while (c := b.read(1)) != "[BOS]":
            b.output(c)
            b.left(1)
        return b.finish()

    def check(self, problem: toolenv.Problem, output: str) -> bool:
        return output == problem.meta["word"][::-1]
