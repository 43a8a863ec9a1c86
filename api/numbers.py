"""Numbers read by hand from request headers.

`str.isdigit` is true for superscript two and for Arabic-Indic or fullwidth digits, and
`int` reads the latter but not the former: a check with one and a parse with the other
answered `Last-Event-ID: ²` with 500. HTTP numbers are
ASCII digits (RFC 9110 `1*DIGIT`), so only those are accepted, by one function. (Path and
query numbers are parsed by pydantic, which refuses anything but ASCII with 422.)
"""

import re

ASCII_DIGITS = re.compile(r"[0-9]+")


def parse_decimal(text: str) -> int | None:
    """The number `text` spells in ASCII digits (surrounding blanks allowed), else None."""
    text = text.strip(" \t")
    if ASCII_DIGITS.fullmatch(text) is None:
        return None
    return int(text)
