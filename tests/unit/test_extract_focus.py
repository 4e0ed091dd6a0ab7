"""The NER focus windows: what the model reads, and offsets mapped back to the original text."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from services.extractor.focus import Focus, focus

PROSE = "the talks went on for a long time and nothing much was agreed by anyone in the room that day. "


def _window_texts(text: str, f: Focus) -> list[str]:
    return [text[s:e] for s, e in f.windows]


def test_reads_only_near_capitalised_words() -> None:
    text = PROSE * 3 + "Later Dmitry Peskov said the call was useful. " + PROSE * 3
    f = focus(text, 3)
    assert "Dmitry Peskov" in f.text
    assert len(f.text) < len(text) / 3
    # three words either side of each capitalised word, nothing more
    assert f.text == "room that day. Later Dmitry Peskov said the call"


def test_sentence_initial_stop_words_do_not_count() -> None:
    text = PROSE * 2 + "He said it was fine. The rest was quiet. " + PROSE * 2
    assert focus(text, 3).text == ""


def test_sentence_initial_names_count() -> None:
    text = PROSE * 2 + "Putin said it was fine. " + PROSE * 2
    assert "Putin said" in focus(text, 2).text


def test_inner_capitals_count() -> None:
    text = PROSE * 2 + "sales on eBay fell sharply this quarter. " + PROSE * 2
    assert "eBay" in focus(text, 1).text


def test_context_zero_reads_everything() -> None:
    text = PROSE + "Kyiv " + PROSE
    f = focus(text, 0)
    assert f.text == text
    assert f.to_original(len(PROSE), len(PROSE) + 4) == (len(PROSE), len(PROSE) + 4)


def test_uncased_scripts_are_read_whole() -> None:
    text = "普京和拜登周六通电话。" * 20 + " Kyiv"
    assert focus(text, 3).text == text


def test_offsets_map_back_to_the_original() -> None:
    text = PROSE * 2 + "Joe Biden spoke to Vladimir Putin. " + PROSE * 2 + "Peskov confirmed it in Moscow. " + PROSE
    f = focus(text, 2)
    for name in ("Joe Biden", "Vladimir Putin", "Peskov", "Moscow"):
        at = f.text.index(name)
        start, end = f.to_original(at, at + len(name))
        assert text[start:end] == name


def test_a_span_across_windows_is_cut_at_its_window_end() -> None:
    text = "Alpha one. " + PROSE * 3 + "Beta two."
    f = focus(text, 1)
    assert len(f.windows) == 2
    start, end = f.to_original(0, len(f.text))
    assert (start, end) == f.windows[0]


_WORDS = ["Kyiv", "talks", "the", "He", "said.", "Biden", "on", "x", "\n", "U.S."]


@given(st.lists(st.sampled_from(_WORDS), max_size=80))
def test_windows_hold_every_capitalised_word_and_map_exactly(words: list[str]) -> None:
    text = " ".join(words)
    f = focus(text, 2)
    for focus_start, (ws, we) in zip(f.starts, f.windows, strict=True):
        assert f.text[focus_start : focus_start + (we - ws)] == text[ws:we]
        assert f.to_original(focus_start, focus_start + (we - ws)) == (ws, we)
    for m in re.finditer(r"\S+", text):
        word = m.group()
        if word in ("Kyiv", "Biden", "U.S."):
            assert any(s <= m.start() and m.end() <= e for s, e in f.windows), word


def test_limit_reads_only_words_that_start_before_it() -> None:
    text = "Joe Biden called Vladimir Putin. " + PROSE + "Later Dmitry Peskov spoke in Moscow."
    limit = text.index("Later") + 2  # inside "Later": the word is read whole, nothing after it
    f = focus(text, 2, limit)
    assert f.read_to == text.index("Later") + len("Later")
    assert "Vladimir Putin" in f.text and "Later" in f.text
    assert "Peskov" not in f.text and "Moscow" not in f.text
    assert all(e <= f.read_to for _, e in f.windows)


def test_limit_past_the_text_or_zero_reads_it_all() -> None:
    text = "Joe Biden called Vladimir Putin. " + PROSE
    for limit in (0, len(text) + 10):
        f = focus(text, 2, limit)
        assert f.read_to == len(text)
        assert f == focus(text, 2)
    whole = focus(text, 0, 10)
    assert whole.text == "Joe Biden" and whole.read_to == len("Joe Biden")
