"""The notification dispatcher: delivers committed rows, retries failures with backoff,
never sends a row twice with several dispatchers, and wakes at commit."""

from __future__ import annotations

import asyncio
import json
import logging
from email import message_from_bytes

import pytest
from sqlalchemy import text

from resolvers.services import notifications
from resolvers.services.notifications import PUBLIC_URL, Channel
from server.db.engine import make_session_factory
from server.logs import JsonFormatter
from server.notify.dispatcher import Dispatcher, exponential_backoff, plain_dsn
from server.notify.senders import (
    ConsoleSender,
    Outgoing,
    Senders,
    SmtpConfig,
    SmtpEmailSender,
)

pytestmark = pytest.mark.usefixtures("app_dispatcher_paused")


@pytest.fixture(autouse=True)
async def _no_backlog(engine, app_dispatcher_paused) -> None:
    """Rows other tests left queued (with the app's dispatcher paused) would fill these
    tests' batches: mark them done so each test sees only its own rows."""
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE notifications SET sent_at = now() WHERE sent_at IS NULL"))


class Recorder:
    """A sender that remembers what it sent, optionally slowly or failing at first."""

    def __init__(self, *, fail_first: int = 0, delay: float = 0.0) -> None:
        self.sent: list[Outgoing] = []
        self.fail_first = fail_first
        self.delay = delay

    async def send(self, message: Outgoing) -> None:
        await asyncio.sleep(self.delay)
        if self.fail_first > 0:
            self.fail_first -= 1
            raise RuntimeError("provider unavailable")
        self.sent.append(message)


def dispatcher(engine, sender, **options) -> Dispatcher:
    return Dispatcher(
        engine, Senders(email=sender, sms=sender), public_url="https://cases.example/", **options
    )


async def queue(engine, portal, count: int = 1, channel: Channel = Channel.EMAIL) -> list[int]:
    async with make_session_factory(engine)() as session, session.begin():
        rows = [
            await notifications.enqueue(
                session,
                insurer_id=portal.insurer.id,
                case_id=None,
                channel=channel,
                kind="test",
                recipient=f"n{index}@example.test",
                subject="Hello",
                body=f"Open {PUBLIC_URL}/customer?token=cgc_x{index}",
            )
            for index in range(count)
        ]
    return [row.id for row in rows]


async def row(engine, notification_id: int):
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text(
                    "SELECT attempts, last_error, sent_at, next_attempt_at - now() AS wait"
                    " FROM notifications WHERE id = :i"
                ),
                {"i": notification_id},
            )
        ).one()


async def make_due(engine, notification_id: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE notifications SET next_attempt_at = now() WHERE id = :i"),
            {"i": notification_id},
        )


async def test_delivers_with_the_public_url_and_marks_sent(engine, world):
    [notification_id] = await queue(engine, world.portal)
    sender = Recorder()
    await dispatcher(engine, sender).run_once()
    [sent] = [m for m in sender.sent if m.id == notification_id]
    assert sent.body == "Open https://cases.example/customer?token=cgc_x0"
    assert (sent.channel, sent.recipient, sent.subject) == ("email", "n0@example.test", "Hello")
    state = await row(engine, notification_id)
    assert state.sent_at is not None and state.attempts == 1 and state.last_error is None
    await dispatcher(engine, sender).run_once()
    assert [m.id for m in sender.sent].count(notification_id) == 1


async def test_a_failed_send_is_retried_with_backoff(engine, world):
    [notification_id] = await queue(engine, world.portal)
    sender = Recorder(fail_first=1)
    worker = dispatcher(engine, sender)
    await worker.run_once()
    failed = await row(engine, notification_id)
    assert failed.sent_at is None and failed.attempts == 1
    assert failed.last_error == "RuntimeError: provider unavailable"
    assert 25 < failed.wait.total_seconds() <= 30  # the first backoff step
    await worker.run_once()  # not due yet
    assert sender.sent == []
    await make_due(engine, notification_id)
    await worker.run_once()
    delivered = await row(engine, notification_id)
    assert delivered.sent_at is not None and delivered.attempts == 2
    assert delivered.last_error is None
    assert [exponential_backoff(n) for n in (1, 2, 3, 10, 20)] == [30, 60, 120, 3600, 3600]


async def test_gives_up_after_max_attempts(engine, world):
    [notification_id] = await queue(engine, world.portal)
    worker = dispatcher(engine, Recorder(fail_first=99), max_attempts=2, backoff=lambda _: 0)
    for _ in range(4):
        await worker.run_once()
    gave_up = await row(engine, notification_id)
    assert gave_up.attempts == 2 and gave_up.sent_at is None and gave_up.last_error


async def test_two_dispatchers_never_send_a_row_twice(engine, world):
    ids = set(await queue(engine, world.portal, 60))
    first, second = Recorder(delay=0.01), Recorder(delay=0.01)

    async def drain(worker: Dispatcher) -> None:
        while await worker.run_once():
            pass

    await asyncio.gather(
        drain(dispatcher(engine, first, batch_size=5)),
        drain(dispatcher(engine, second, batch_size=5)),
    )
    sent = [m.id for m in first.sent + second.sent if m.id in ids]
    assert sorted(sent) == sorted(ids)  # each exactly once
    assert {m.id for m in first.sent} & ids and {m.id for m in second.sent} & ids


async def test_wakes_at_commit_without_waiting_for_the_poll(engine, world, settings):
    sender = Recorder()
    worker = dispatcher(
        engine, sender, poll_seconds=60, listen_dsn=plain_dsn(settings.database_url)
    )
    await worker.start()
    try:
        await asyncio.sleep(0.3)  # the first (empty) pass is done; now it waits on NOTIFY
        [notification_id] = await queue(engine, world.portal)
        for _ in range(100):
            if any(m.id == notification_id for m in sender.sent):
                break
            await asyncio.sleep(0.02)
        assert any(m.id == notification_id for m in sender.sent)
    finally:
        await worker.stop()


async def test_console_sender_logs_one_json_line(caplog):
    caplog.set_level(logging.INFO, logger="casegraph.notify")
    message = Outgoing(7, "sms", "customer_login_code", "+47 900 00 000", None, "Code: 123456")
    await ConsoleSender().send(message)
    line = JsonFormatter().format(caplog.records[-1])
    assert "\n" not in line
    logged = json.loads(line)
    assert logged["channel"] == "sms" and logged["recipient"] == "+47 900 00 000"
    assert logged["body"] == "Code: 123456" and logged["subject"] is None


async def test_smtp_sender_talks_to_an_smtp_server():
    received: list[bytes] = []

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Just enough SMTP to accept one message."""
        writer.write(b"220 test ESMTP\r\n")
        while line := await reader.readline():
            verb = line.split(b" ", 1)[0].strip().upper()
            if verb == b"DATA":
                writer.write(b"354 go on\r\n")
                await writer.drain()
                data = b""
                while (chunk := await reader.readline()) != b".\r\n":
                    data += chunk
                received.append(data)
                writer.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(session, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    config = SmtpConfig(host="127.0.0.1", port=port, sender="portal@example.test", security="none")
    message = Outgoing(1, "email", "customer_link", "kari@example.test", "Your case", "Link: x")
    async with server:
        await SmtpEmailSender(config).send(message)
    [raw] = received
    email = message_from_bytes(raw)
    assert email["To"] == "kari@example.test" and email["From"] == "portal@example.test"
    assert email["Subject"] == "Your case" and email.get_payload().strip() == "Link: x"


async def test_secrets_leave_the_table_once_delivered(engine, world):
    async with make_session_factory(engine)() as session, session.begin():
        queued = await notifications.enqueue(
            session, insurer_id=world.portal.insurer.id, case_id=None, channel=Channel.SMS,
            kind="customer_login_code", recipient="+47 900 00 000", body="Your code: 123456",
        )  # fmt: skip
    sender = Recorder()
    await dispatcher(engine, sender).run_once()
    assert [m.body for m in sender.sent] == ["Your code: 123456"]
    async with engine.connect() as conn:
        body = await conn.scalar(
            text("SELECT body FROM notifications WHERE id = :i"), {"i": queued.id}
        )
    assert "123456" not in body


async def test_a_hanging_send_is_cut_off_within_its_lease_and_retried(engine, world):
    """Cut off at half the lease, so no other process claims the row while it is sent."""
    [notification_id] = await queue(engine, world.portal)
    hanging = Recorder(delay=5)
    await dispatcher(engine, hanging, lease_seconds=0.4).run_once()
    failed = await row(engine, notification_id)
    assert hanging.sent == [] and failed.sent_at is None and failed.attempts == 1
    assert failed.last_error.startswith("TimeoutError")
