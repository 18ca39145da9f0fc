"""GraphQL over HTTP: which media type a response has, and its status code.

`application/graphql-response+json` when the client accepts it (the spec's media type),
else `application/json`. With the former, a request error (the document did not parse or
validate, or admission refused it: nothing was executed) is a 400 without a `data` entry;
with `application/json` it stays a 200, as older clients expect. A RATE_LIMITED error is a
429 with `Retry-After` under either. PERSISTED_QUERY_NOT_FOUND stays a 200: Apollo's
persisted-queries link treats a 400 as "persisted queries unsupported" and gives up on them.
"""

from __future__ import annotations

import functools
from typing import Any

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"


@functools.lru_cache(maxsize=256)  # clients send the same few Accept headers again and again
def negotiate(accept: str) -> str:
    """The response media type for this Accept header."""
    weights: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        weights[media.lower()] = max(quality, weights.get(media.lower(), 0.0))
    preferred = weights.get(GRAPHQL_RESPONSE_JSON, 0.0)
    return GRAPHQL_RESPONSE_JSON if preferred > 0 and preferred >= weights.get(JSON, 0.0) else JSON


def http_status(response: Any, media_type: str) -> tuple[int, dict[str, str]]:
    """(status, extra headers) for a single response; batches and raw bodies are 200."""
    errors = response.get("errors") if isinstance(response, dict) else None
    if not errors:
        return 200, {}
    codes = [(e.get("extensions") or {}).get("code") for e in errors]
    if "RATE_LIMITED" in codes:
        retry = max(int((e.get("extensions") or {}).get("retryAfter", 1)) for e in errors)
        return 429, {"Retry-After": str(retry)}
    request_error = response.get("data") is None and all("path" not in e for e in errors)
    if media_type == GRAPHQL_RESPONSE_JSON and request_error:
        if "PERSISTED_QUERY_NOT_FOUND" in codes:
            return 200, {}
        response.pop("data", None)  # nothing was executed: the spec says no data entry
        return 400, {}
    return 200, {}
