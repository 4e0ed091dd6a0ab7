"""Property tests: whatever bytes or markup arrive, clean() returns an article or raises RejectedInput."""

from __future__ import annotations

import base64

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.cleaner.logic import clean
from shared.contracts.articles import BodyEncoding, CleanArticle, RawArticle
from shared.errors import RejectedInput

_SENTENCE = "The committee met on Tuesday and agreed to publish its report on the new harbour works next month. "
_TAGS = [
    "<p>",
    "</p>",
    "<div>",
    "</div>",
    "<html>",
    "<body>",
    "<script>",
    "</script>",
    "<!--",
    "-->",
    "<![CDATA[",
    "<meta charset='x-unknown'>",
    "<table><tr><td>",
    "&amp;",
    "&#xD800;",
    "&nbsp;",
    "<br/>",
    "<h1>",
    "<",
    ">",
    "\x00",
]
_CHARSETS = st.sampled_from([None, "utf-8", "latin-1", "windows-1252", "shift_jis", "utf-16", "bogus-charset", ""])


def _outcome(raw: RawArticle) -> CleanArticle | RejectedInput:
    try:
        article = clean(raw)
    except RejectedInput as exc:
        assert exc.reason
        return exc
    assert article.text and article.text == "\n\n".join(article.paragraphs)
    assert len(article.content_hash) == 64
    return article


_FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FUZZ
@given(data=st.binary(max_size=3000), charset=_CHARSETS, html=st.booleans())
def test_random_bytes(data: bytes, charset: str | None, html: bool) -> None:
    raw = RawArticle(
        article_id="fuzz",
        body=base64.b64encode(data).decode(),
        body_encoding=BodyEncoding.BASE64,
        charset=charset,
        content_type="text/html" if html else "text/plain",
    )
    _outcome(raw)


@_FUZZ
@given(parts=st.lists(st.one_of(st.sampled_from(_TAGS), st.text(max_size=40), st.just(_SENTENCE)), max_size=60))
def test_malformed_html(parts: list[str]) -> None:
    _outcome(RawArticle(article_id="fuzz", body="".join(parts), content_type="text/html"))


@_FUZZ
@given(text=st.text(max_size=3000), prose=st.integers(min_value=0, max_value=6))
def test_random_text(text: str, prose: int) -> None:
    _outcome(RawArticle(article_id="fuzz", body=text + "\n" + _SENTENCE * prose, content_type="text/plain"))


@_FUZZ
@given(body=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\n ", max_size=400))
def test_random_base64_text(body: str) -> None:
    _outcome(RawArticle(article_id="fuzz", body=body, body_encoding=BodyEncoding.BASE64))
