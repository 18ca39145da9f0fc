"""The ASGI application for uvicorn workers: `uvicorn server.asgi:app`."""

from __future__ import annotations

from server.app import create_app
from server.logs import configure_logging
from server.settings import Settings
from server.websocket import GoodbyeOnExit

_settings = Settings()
configure_logging(_settings.log_level)
app = GoodbyeOnExit(create_app(_settings))
