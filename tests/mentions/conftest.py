"""The WebSocket server fixture of tests/subscriptions, for the live mention tests."""

from tests.subscriptions.conftest import ws_url  # noqa: F401  # a fixture, used by name
