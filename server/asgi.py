"""The ASGI application for uvicorn workers: `uvicorn server.asgi:app`."""

from __future__ import annotations

import gc

from server.app import create_app
from server.logs import configure_logging
from server.settings import Settings
from server.websocket import GoodbyeOnExit

_settings = Settings()
configure_logging(_settings.log_level)
app = GoodbyeOnExit(create_app(_settings))

# Fewer, cheaper garbage collections: a server holds many long-lived objects (sockets,
# plans, caches) that every full collection would otherwise walk again, and a burst of
# events allocates many short-lived ones. Young collections run 10x less often.
gc.freeze()
gc.set_threshold(7_000, 20, 20)
