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


# -- SearchMemory ---------------------------------------------------------------------------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from toolenv.tools import SearchMemory  # noqa: E402

NL = vocab.token_id("\n")


def find(tool, text):
    assert tool.feed(vocab.FIND) == []
    for t in vocab.encode(text):
        assert tool.feed(t) == []
    return tool.feed(vocab.FIND_END)


def test_search_returns_every_line_holding_the_query_in_memory_order_then_end():
    tool = SearchMemory()
    tool.reset(vocab.encode("a=1\nb=a\nc=2\n"))
    for t in vocab.encode("a=True"):  # a thought: the last, unfinished line counts too
        assert tool.feed(t) is None
    assert vocab.decode(find(tool, "a=")) == "a=1\na=True\n[end]"
    assert vocab.decode(find(tool, "=")) == "a=1\nb=a\nc=2\na=True\n[end]"
    assert find(tool, "zz") == [vocab.END]
    assert find(tool, "\n") == [vocab.END]  # no line holds a newline
    assert vocab.decode(find(tool, "b")) == "b=a\n[end]"
    assert tool.memory == vocab.encode("a=1\nb=a\nc=2\na=True")  # commands and observations stay out


def test_search_rejects_empty_queries_and_non_characters_inside_a_query():
    tool = SearchMemory()
    tool.reset(vocab.encode("x"))
    tool.feed(vocab.FIND)
    with pytest.raises(ToolCommandError, match="empty"):
        tool.feed(vocab.FIND_END)
    tool.feed(vocab.FIND)
    with pytest.raises(ToolCommandError, match="only characters"):
        tool.feed(vocab.ANS)
    with pytest.raises(ToolCommandError, match="not a command"):
        SearchMemory().feed(R1)


def _naive(memory, query):
    lines, out = [], []
    line = []
    for t in [*memory, NL]:
        if t == NL:
            lines.append(line)
            line = []
        else:
            line.append(t)
    for line in lines:
        if any(line[i : i + len(query)] == query for i in range(len(line) - len(query) + 1)):
            out += [*line, NL]
    return [*out, vocab.END]


@given(st.lists(st.sampled_from(vocab.encode("ab=\n")), max_size=60),
       st.lists(st.sampled_from(vocab.encode("ab=\n")), max_size=10),
       st.lists(st.sampled_from(vocab.encode("ab=\n")), min_size=1, max_size=4))
def test_search_equals_a_line_by_line_scan_as_memory_grows_or_is_replaced(memory, more, query):
    tool = SearchMemory()
    tool.reset(memory)
    assert tool.search(query) == _naive(memory, query)
    for t in more:  # memory grows between searches
        assert tool.feed(t) is None
    assert tool.search(query) == _naive([*memory, *more], query)
    tool.memory = list(more)  # replaced (the batched engine does this)
    assert tool.search(query) == _naive(more, query)
