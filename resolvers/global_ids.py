"""Opaque global ids: base64url("<TypeName>:<row id>") without padding.

Clients must treat them as opaque; the server decodes one to find the type and re-applies
the principal's row scope on load. (The compiled read path builds the same text in SQL.)
"""

from __future__ import annotations

import base64
import binascii

from server.errors import bad_input


def encode_global_id(type_name: str, row_id: int) -> str:
    raw = f"{type_name}:{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_global_id(global_id: str, field: str = "id") -> tuple[str, int]:
    """(type name, row id); BAD_USER_INPUT if the id is not one this server issued."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, raw = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        type_name, raw = "", ""
    # ASCII digits within bigint: anything else is not an id this server issued.
    if not type_name or not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise bad_input(f"'{field}' is not a valid id.", field)
    return type_name, int(raw)


def decode_typed_id(global_id: str, expected: str, field: str) -> int:
    """The row id of a global id that must name `expected`."""
    type_name, row_id = decode_global_id(global_id, field)
    if type_name != expected:
        raise bad_input(f"'{field}' must be the id of a {expected}, not of a {type_name}.", field)
    return row_id
