"""URL canonicalisation: one spelling per article, so that repeats are recognised.

Rules, all conservative (two URLs are merged only when they surely name the
same page): lower-case scheme and host, IDNA host, default ports dropped,
fragment dropped, tracking parameters (``utm_*``, ``fbclid``, ``gclid``,
``mc_cid``, ...) dropped, remaining parameters sorted, empty path as ``/``, a
trailing slash dropped from non-root paths, percent-escapes normalised. ``www.``
and AMP variants are *not* guessed from the URL (``www.x.com`` and ``x.com``
may be different sites); they are merged when the page declares a
``<link rel="canonical">`` on the same site, see :func:`page_canonical`.
"""

from __future__ import annotations

import contextlib
import re
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

from shared.urls import is_tracking_param

DEFAULT_PORTS = {"http": 80, "https": 443}

_SAFE_PATH = "/:@!$&'()*+,;=-._~%"
_SAFE_QUERY = "/:@!$'()*+,;-._~?%"
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_LINK_TAG = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""([a-zA-Z_:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_AMP_PATH = re.compile(r"(/amp/?$)|(^/amp/)|(\.amp(?=\.html?$|$))", re.IGNORECASE)


def _normalise_escapes(part: str, safe: str) -> str:
    """Decode escapes of unreserved characters, upper-case the others, encode what must be.

    ``%7E`` → ``~`` and ``%2f`` → ``%2F``, but never ``%2F`` → ``/``: decoding a
    reserved character could change which resource the URL names.
    """

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else match.group(0).upper()

    return quote(_ESCAPE.sub(fix, part), safe=safe)


def canonicalize_url(url: str) -> str:
    """The canonical spelling of an http(s) URL; other strings come back stripped but unchanged."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return text
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return text
    host = parts.hostname.rstrip(".").lower()
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = _normalise_escapes(parts.path or "/", _SAFE_PATH)
    path = re.sub(r"/{2,}", "/", path)
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k)]
    params.sort()
    query = urlencode(params, quote_via=quote, safe=_SAFE_QUERY)
    return urlunsplit((scheme, netloc, path, query, ""))


def site_of(url: str) -> str:
    """The host without ``www.``, ``m.``, ``amp.`` prefixes: what counts as "the same site"."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
    for prefix in ("www.", "m.", "amp.", "mobile."):
        if host.startswith(prefix) and host.count(".") >= 2:
            return host[len(prefix) :]
    return host


def declared_canonical(html: str, base_url: str) -> str | None:
    """The ``<link rel="canonical" href=...>`` of a page, absolute, if any."""
    head = html[:300_000]
    for tag in _LINK_TAG.findall(head):
        attrs: dict[str, str] = {
            m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or "" for m in _ATTR.finditer(tag)
        }
        if "canonical" in attrs.get("rel", "").lower().split() and attrs.get("href"):
            href = attrs["href"].strip()
            return urljoin(base_url, href)
    return None


def page_canonical(html: str, page_url: str) -> str:
    """The canonical URL of a fetched page: its declared canonical when trustworthy, else its own.

    A declared canonical is used only when it is http(s) and on the same site
    (``www.``/``m.``/``amp.`` prefixes aside): that merges AMP, mobile and
    ``www.`` variants, and ignores canonicals pointing to another outlet
    (syndication), which the deduplicator, not the fetcher, should see. A
    canonical that points an article at the site's home page is ignored too:
    templates that do that would otherwise merge every article into one.
    """
    own = canonicalize_url(page_url)
    declared = declared_canonical(html, page_url)
    if not declared:
        return own
    candidate = canonicalize_url(declared)
    if not candidate.startswith(("http://", "https://")) or site_of(candidate) != site_of(own):
        return own
    if urlsplit(candidate).path == "/" and urlsplit(own).path != "/":
        return own  # a site-wide canonical pointing at the home page (a common template bug)
    return candidate


def is_amp_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return bool(_AMP_PATH.search(parts.path)) or (parts.hostname or "").startswith("amp.")


def absolute(base: str, href: str) -> str:
    return urljoin(base, href.strip())
