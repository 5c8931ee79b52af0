"""The *Open in email* link: encoded so a mail client fills in subject and body exactly, and
never longer than Slack accepts for a button's url."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from bot.domain.mailto import URL_LIMIT, mailto_url


def fields(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    assert parts.scheme == "mailto" and parts.path == ""
    return {key: values[0] for key, values in parse_qs(parts.query).items()}


def test_subject_and_body_survive_encoding_with_crlf_line_breaks() -> None:
    body = "Hi Dana,\n\nR&D: 50% done? Yes = good; #1 + more.\nSam"
    url = mailto_url(subject="Globex: an honest view & next steps", body=body)
    assert " " not in url and "\n" not in url and "&body=" in url
    got = fields(url)
    assert got["subject"] == "Globex: an honest view & next steps"
    assert got["body"] == body.replace("\n", "\r\n")


def test_a_body_too_long_for_a_button_falls_back_to_the_short_note() -> None:
    long_body = "Hi Dana,\n\n" + "A considered sentence about the project. " * 120
    url = mailto_url(subject="Subject", body=long_body, fallback="Hi Dana, the short note.")
    assert len(url) <= URL_LIMIT
    assert fields(url)["body"] == "Hi Dana, the short note."


def test_when_nothing_fits_the_text_is_cut_at_a_word_and_still_within_the_limit() -> None:
    huge = "naïve " * 2000  # non-ASCII: each letter costs several encoded characters
    url = mailto_url(subject="Subject", body=huge, fallback=huge)
    assert len(url) <= URL_LIMIT
    body = fields(url)["body"]
    assert body.endswith(" …") and body.startswith("naïve naïve")
    assert len(mailto_url(subject="S", body=huge, limit=500)) <= 500
