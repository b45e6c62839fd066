import pytest

from toolenv import vocab
from toolenv.tools import Calculator, PointerMemory, ToolCommandError

R1, L1, RT1, H1 = (vocab.pointer_command(1, op) for op in vocab.POINTER_OPS)
R2 = vocab.pointer_command(2, "read")


def test_pointer_reads_moves_and_clamps():
    tool = PointerMemory(2)
    tool.reset(vocab.encode("ab"))
    assert tool.feed(R1) == [vocab.token_id("a")]  # starts at the first prompt token
    assert tool.feed(L1) == [] and tool.feed(R1) == [vocab.BOS]  # one before the start
    assert tool.feed(L1) == [] and tool.feed(R1) == [vocab.BOS]  # clamped at -1
    for _ in range(5):
        tool.feed(RT1)
    assert tool.feed(R1) == [vocab.EOS]  # past the end, clamped at len(memory)
    assert tool.feed(vocab.token_id("c")) is None  # content enters memory ...
    assert tool.feed(R1) == [vocab.token_id("c")]  # ... and the waiting pointer now reads it
    assert tool.feed(H1) == [] and tool.feed(R1) == [vocab.token_id("a")]
    assert tool.feed(R2) == [vocab.token_id("a")]  # pointers are independent


def test_pointer_memory_holds_content_never_commands_or_observations():
    tool = PointerMemory(1)
    tool.reset(vocab.encode("x"))
    tool.feed(R1)
    tool.feed(vocab.token_id("y"))
    tool.feed(vocab.ANS)
    tool.feed(vocab.token_id("z"))
    assert tool.memory == vocab.encode("xy") + [vocab.ANS] + vocab.encode("z")


def test_pointer_rejects_commands_it_does_not_own():
    tool = PointerMemory(2)
    tool.reset(vocab.encode("1"))
    with pytest.raises(ToolCommandError, match="pointer 3 does not exist"):
        tool.feed(vocab.pointer_command(3, "read"))
    with pytest.raises(ToolCommandError, match=r"\[find\]"):
        tool.feed(vocab.FIND)
    with pytest.raises(ValueError):
        PointerMemory(vocab.MAX_POINTERS + 1)


def test_calculator_answers_once():
    tool = Calculator("42")
    tool.reset(vocab.encode("40+2="))
    assert tool.feed(vocab.CALC) == vocab.encode("42") + [vocab.END]
    with pytest.raises(ToolCommandError, match="once"):
        tool.feed(vocab.CALC)
