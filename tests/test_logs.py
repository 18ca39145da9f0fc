"""The request line (server.logs.log_line): straight to the stream under the default
configuration, the same text a record would give; a record otherwise."""

from __future__ import annotations

import io
import logging
import re

import orjson
import pytest

from server.logs import JsonLines, _sole_json_handler, log_line

FIELDS = {"requestId": "r1", "principal": "staff:1", "durationMs": 0.5, "errorCodes": []}


@pytest.fixture
def root_alone():
    """Makes the root logger hold only a JsonLines on a buffer, as configure_logging leaves
    it (pytest adds its capture handlers once the test starts: call it in the test)."""
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    buffer = io.StringIO()

    def alone() -> io.StringIO:
        root.handlers[:] = [JsonLines(buffer)]
        root.setLevel(logging.INFO)
        return buffer

    yield alone
    root.handlers[:] = saved
    root.setLevel(level)


def lines(buffer: io.StringIO) -> list[dict]:
    return [orjson.loads(line) for line in buffer.getvalue().splitlines()]


def test_the_direct_line_is_what_the_record_would_give(root_alone):
    buffer = root_alone()
    logger = logging.getLogger("casegraph.request")
    assert _sole_json_handler(logger) is logging.getLogger().handlers[0]  # the direct way
    log_line(logger, "graphql", FIELDS)
    logger.info("graphql", extra=FIELDS)
    direct, recorded = lines(buffer)
    assert list(direct) == list(recorded)  # same keys, same order
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", direct["time"])
    assert {**direct, "time": None} == {**recorded, "time": None}


def test_other_handlers_get_a_record(root_alone, caplog):
    buffer = root_alone()
    logger = logging.getLogger("casegraph.request")
    logging.getLogger().addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="casegraph.request"):
            log_line(logger, "graphql", FIELDS)
    finally:
        logging.getLogger().removeHandler(caplog.handler)
    [record] = [r for r in caplog.records if r.name == "casegraph.request"]
    assert record.requestId == "r1" and record.getMessage() == "graphql"
    assert lines(buffer)[0]["requestId"] == "r1"  # and the stream still has its line


def test_nothing_is_written_below_the_level(root_alone):
    buffer = root_alone()
    logging.getLogger().setLevel(logging.WARNING)
    log_line(logging.getLogger("casegraph.request"), "graphql", FIELDS)
    assert buffer.getvalue() == ""


@pytest.mark.parametrize("raise_exceptions", [True, False])
def test_a_broken_stream_does_not_fail_the_caller(root_alone, monkeypatch, raise_exceptions):
    """Reported by a review: the direct write raised where the record's way would not."""
    buffer = root_alone()
    buffer.close()  # a log collector gone: writes raise
    monkeypatch.setattr(logging, "raiseExceptions", raise_exceptions)
    monkeypatch.setattr("sys.stderr", io.StringIO())  # where handleError reports
    log_line(logging.getLogger("casegraph.request"), "graphql", FIELDS)  # no exception
