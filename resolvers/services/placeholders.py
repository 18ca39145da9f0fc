"""Placeholders in texts the insurer writes (standard replies, notification texts).

The syntax is `{name}`: lower-case letters and underscores in braces. Any other brace is
plain text, so "{ }" or "{Name}" need no escaping. Saving a text checks every placeholder
against the ones allowed where the text is used; rendering fills them in one pass, so a
filled value (a customer named "{case_number}") is never read as a placeholder again.
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


def fill(template: str, values: Mapping[str, str | None]) -> str:
    """The text with each placeholder replaced by its value; a missing value (or a name
    not given) becomes empty text, never "None"."""

    def one(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return "" if value is None else str(value)

    return PLACEHOLDER.sub(one, template)
