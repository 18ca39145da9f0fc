"""Placeholders in texts the insurer writes (standard replies, notification texts).

The syntax is `{name}`: lower-case letters and underscores in braces. Any other brace is
plain text, so "{ }" or "{Name}" need no escaping. Saving a text checks every placeholder
against the ones allowed where the text is used; rendering fills them in one pass, so a
filled value (a customer named "{case_number}") is never read as a placeholder again.

Filled values never take part in an @mention (resolvers/services/mentions.py) either: a
standard reply is also inserted into internal comments, and a customer who names
themselves `@[Boss](user:…)` must not mention, and notify, anyone. So the two pairs that
open and close a mention, `@[` and `](`, never come from a value: inside one, and where a
value meets the text around it, they are split by a space (`@ [`, `] (`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from server.errors import bad_input

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def names(template: str) -> list[str]:
    """The placeholders a text uses, in order of first use."""
    return list(dict.fromkeys(PLACEHOLDER.findall(template)))


def check(template: str, allowed: Mapping[str, str] | set[str], field: str) -> None:
    """BAD_USER_INPUT naming `field` when the text uses a placeholder not in `allowed`."""
    unknown = [name for name in names(template) if name not in allowed]
    if unknown:
        listed = ", ".join(f"{{{name}}}" for name in unknown)
        known = ", ".join(f"{{{name}}}" for name in sorted(allowed))
        raise bad_input(f"Unknown placeholder {listed}; allowed here: {known}.", field)


_MENTION_PAIRS = ("@[", "](")


def fill(template: str, values: Mapping[str, str | None]) -> str:
    """The text with each placeholder replaced by its value; a missing value (or a name
    not given) becomes empty text, never "None". No value can form mention syntax."""
    out: list[str] = []
    tail, tail_is_value = "", False  # the last character written, and who wrote it

    def put(piece: str, is_value: bool) -> None:
        nonlocal tail, tail_is_value
        if not piece:
            return
        if is_value:
            for first, second in _MENTION_PAIRS:
                piece = piece.replace(first + second, f"{first} {second}")
        if is_value or tail_is_value:
            for first, second in _MENTION_PAIRS:
                if tail == first and piece.startswith(second):
                    piece = " " + piece
        out.append(piece)
        tail, tail_is_value = piece[-1], is_value

    done = 0
    for match in PLACEHOLDER.finditer(template):
        put(template[done : match.start()], False)
        value = values.get(match.group(1))
        put("" if value is None else str(value), True)
        done = match.end()
    put(template[done:], False)
    return "".join(out)


def one_line(value: str) -> str:
    """A filled subject as one line: line breaks (from a value) become spaces; an email
    header cannot hold them."""
    return re.sub(r"\s*[\r\n]+\s*", " ", value).strip()
