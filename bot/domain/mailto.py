"""A `mailto:` link that opens the rep's mail client with the subject and body filled in.

RFC 6068: every reserved character percent-encoded, line breaks as CRLF. Slack caps a
button's url at 3000 characters, and mail clients cut long links anyway, so a body that does
not fit gives way to the fallback (the short note), and that, if it still does not fit, is
shortened at a word with an ellipsis: the link always opens, with as much as fits.
"""

from __future__ import annotations

from urllib.parse import quote

URL_LIMIT = 3000
"""Slack's limit on a button's url."""


def _encode(text: str) -> str:
    return quote(text.replace("\r\n", "\n").replace("\n", "\r\n"), safe="")


def _url(subject: str, body: str) -> str:
    return f"mailto:?subject={_encode(subject)}&body={_encode(body)}"


def mailto_url(
    *, subject: str, body: str, fallback: str | None = None, limit: int = URL_LIMIT
) -> str:
    """The link for `body`, else `fallback`, else as much of the shorter as fits in `limit`."""
    subject = subject[:200]
    for candidate in (body, fallback):
        if candidate is not None and len(_url(subject, candidate)) <= limit:
            return _url(subject, candidate)
    text = min((t for t in (body, fallback) if t is not None), key=len)
    words = text.split(" ")
    low, high = 0, len(words)
    while low < high:  # the most words that fit, found without trying every length
        middle = (low + high + 1) // 2
        if len(_url(subject, " ".join(words[:middle]).rstrip() + " …")) <= limit:
            low = middle
        else:
            high = middle - 1
    return _url(subject, " ".join(words[:low]).rstrip() + " …")
