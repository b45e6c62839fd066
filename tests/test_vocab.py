import pytest

from toolenv import vocab


def test_ids_are_stable():
    # Append-only contract: these ids are part of every checkpoint; changing one breaks them all.
    assert [vocab.PAD, vocab.BOS, vocab.EOS, vocab.ANS] == [0, 1, 2, 3]
    assert vocab.token_id(" ") == 4 and vocab.token_id("~") == 98 and vocab.token_id("\n") == 99
    assert vocab.token_id("[p1.read]") == 100 and vocab.token_id("[p4.home]") == 115
    assert [vocab.FIND, vocab.FIND_END, vocab.END, vocab.CALC] == [116, 117, 118, 119]
    assert vocab.VOCAB_SIZE == 120


def test_round_trip_one_token_per_character():
    text = "12+34=\n(7)AC$ v1 = not v2"
    ids = vocab.encode(text)
    assert len(ids) == len(text)
    assert vocab.decode(ids) == text
    assert vocab.text_of(ids + [vocab.EOS, vocab.ANS]) == text


def test_special_tokens_are_never_parsed_from_text():
    assert len(vocab.encode("[ANS]")) == 5


def test_bad_input_names_the_problem():
    with pytest.raises(vocab.VocabError, match="é"):
        vocab.encode("café")
    with pytest.raises(vocab.VocabError, match="outside the vocabulary"):
        vocab.token_name(vocab.VOCAB_SIZE)
    with pytest.raises(vocab.VocabError, match="p5"):
        vocab.pointer_command(5, "read")
