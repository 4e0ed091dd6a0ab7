"""services.fetcher.documents: article bodies."""

from __future__ import annotations

import base64

from services.fetcher.documents import encode_body, url_article_id
from shared.contracts import BodyEncoding


def test_encode_body() -> None:
    assert encode_body("naïve".encode(), None) == ("naïve", BodyEncoding.TEXT, None)
    assert encode_body(b"\xef\xbb\xbfbom", "UTF-8")[0] == "bom"
    body, enc, charset = encode_body(b"\xff\xfe\x00bad", None)
    assert enc is BodyEncoding.BASE64 and charset is None and base64.b64decode(body) == b"\xff\xfe\x00bad"
    assert encode_body("ok".encode("latin-1"), "ISO-8859-1")[1] is BodyEncoding.BASE64  # declared non-UTF-8
    assert url_article_id("https://x.com/a") == url_article_id("https://x.com/a") != url_article_id("https://x.com/b")
