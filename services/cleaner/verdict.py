"""Is there an article on the cleaned page? Judged by what its text is, not by its length alone.

Pages without an article are navigation (menus, tag clouds, lists of links),
error, access, consent and log-in notices, and galleries or players with no
story. A short news item is none of those: a headline over one or two lines of
running text ("2 gang suspects held to answer for deaths of 2 teenagers") is
news, though it has fewer words than a word-count floor would let through. So:

* a *notice page* (error, access, cookie or log-in wording in the title or
  the lead) is rejected unless, set aside the notice lines, it still holds
  running text of some length: a video player's "enable JavaScript" line above
  a report does not make the report an error page;
* an article has at least one *clause*, a line of running text: four or
  more words, at least two of them not capitalised (menus, tag clouds and
  title-cased link labels have none) or a sentence end, and not a notice, link
  or furniture line;
* text of ``min_words`` words and ``min_chars`` characters is long enough,
  and may hold table rows or score lines instead of a clause (a results box);
  shorter text is a news item when it has a headline and a clause besides it;
* most of the words are in clauses or table rows: a page that is mostly
  labels and link lines is navigation, whatever sentence it also shows.

Short notice lines on an accepted page are furniture: :func:`is_notice_line`
lets the caller drop them (after the verdict, which needs them).

A photo gallery is a page whose lines are all captions, and captions with a
credit are removed as boilerplate. When nothing else is left, the captions
are the story if they hold running text (a news gallery repeats its lede under
every image): :func:`caption_story` recovers it, once. A gallery whose captions
are only credits and counters stays without text and is rejected.
"""

from __future__ import annotations

import re

from services.cleaner import patterns as pat
from services.cleaner.settings import CleanerLimits
from shared.errors import RejectedInput

_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
_LETTER_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_SEPARATOR = re.compile(r"\s[|•·»›/]\s")
_LONG_PAGE_WORDS = 150  # a page this long is a page of text, whatever notice it also shows
_NOTICE_LEAD_CHARS = 600  # a notice that makes the page must show near its top
_STORY_BESIDE_NOTICE = 40  # words of running text that outweigh a notice on a short page
# Least share of the words in running text or table rows: menus and link lists around a stray
# sentence fall far below it, article pages with lists, captions and tables stay far above.
_CONTENT_SHARE = 0.35
_NOTICE_LINE_WORDS = 12  # longer lines that mention a notice are sentences of a story
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[\"'“‘(\[]?[^\W_])")


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def is_clause(text: str) -> bool:
    """A line of running text rather than a label, menu bar, link or notice."""
    if pat.NOTICE.search(text) or pat.FURNITURE.match(text) or pat.LINK_ONLY.match(text):
        return False
    if len(_SEPARATOR.findall(text)) >= 2:
        return False  # "News | Sports | Weather": a menu bar
    words = _LETTER_WORD.findall(text)
    if len(words) < 4:
        return False
    # Scripts without case (CJK, Arabic...) count as lower case: only capitals mark labels.
    # An all-capitals transcript still ends its sentences like sentences.
    return sum(1 for w in words if not w[0].isupper()) >= 2 or bool(pat.SENTENCE_END.search(text))


def is_notice_line(text: str) -> bool:
    """A short notice line ("Please enable JavaScript to watch this video"): furniture of an article page."""
    return _words(text) <= _NOTICE_LINE_WORDS and bool(pat.NOTICE.search(text))


def _is_data_line(text: str) -> bool:
    """A row of a table or a score line ("Palm Bay 18 22 13 17 — 70"): content without a clause."""
    return (
        _words(text) >= 3
        and bool(_DIGIT.search(text))
        and not (pat.GALLERY_COUNTER.match(text) or pat.DATE_ONLY.match(text) or pat.NOTICE.search(text))
    )


def has_story(paragraphs: list[str]) -> bool:
    return any(is_clause(p) for p in paragraphs)


def caption_story(lines: list[str]) -> list[str]:
    """Distinct sentences of running text in credited captions, in order (empty when none)."""
    out: list[str] = []
    seen: set[str] = set()
    for line in lines:
        text = pat.GALLERY_COUNTER.sub("", line)
        caption = pat.CAPTION_CREDIT.sub("", text)
        if caption == text:
            continue  # no credit: not a captioned image
        for sentence in _SENTENCE_SPLIT.split(caption.strip()):
            key = " ".join(_WORD.findall(sentence.casefold()))
            if key and key not in seen and is_clause(sentence):
                seen.add(key)
                out.append(sentence)
    return out


def _is_notice_page(paragraphs: list[str], title: str | None) -> bool:
    lead = "\n".join(paragraphs)[:_NOTICE_LEAD_CHARS]
    if not (pat.NOTICE.search(lead) or (title and pat.NOTICE.search(title))):
        return False
    story = sum(_words(p) for p in paragraphs if not pat.NOTICE.search(p) and is_clause(p))
    return story < _STORY_BESIDE_NOTICE


def check_article(paragraphs: list[str], title: str | None, limits: CleanerLimits) -> None:
    """Raise RejectedInput(reason="not_an_article") when the page holds no article."""
    body = "\n".join(paragraphs)
    words = _words(body)
    if words < _LONG_PAGE_WORDS and _is_notice_page(paragraphs, title):
        raise RejectedInput("looks like an error, access, consent or log-in page", reason="not_an_article")
    long_enough = words >= limits.min_words and len(body) >= limits.min_chars
    if not (has_story(paragraphs) or (long_enough and any(_is_data_line(p) for p in paragraphs))):
        raise RejectedInput(f"no running text in {words} words of main text", reason="not_an_article")
    if not (long_enough or title):
        raise RejectedInput(f"only {words} words of main text and no headline", reason="not_an_article")
    content = sum(_words(p) for p in paragraphs if is_clause(p) or _is_data_line(p))
    if content < _CONTENT_SHARE * words:
        raise RejectedInput(
            f"mostly navigation: {content} of {words} words are running text or table rows", reason="not_an_article"
        )
