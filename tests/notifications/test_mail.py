"""Sending one mail, without the worker: what ``Mailer`` hands the SMTP client, how a failed
try is scheduled again, and the demo's mail box (``MailSink`` writing ``.eml`` files)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from models.i18n import Language
from relaylog.mail import Mailer, OutgoingMail, message_id_for
from relaylog.mail_sink import MailSink
from relaylog.mail_texts import mail_text
from relaylog.settings import Settings


def _mail() -> OutgoingMail:
    return OutgoingMail(
        to="gunnar@example.no",
        language="nb",
        text=mail_text("NEWS", Language.NB, "https://stafett.test/logs/1"),
        notification_id=uuid.uuid4(),
    )


async def test_the_mailer_uses_starttls_and_the_credentials_it_is_configured_with(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    handed: dict[str, Any] = {}

    async def send(message: Any, **options: Any) -> None:
        handed.update(options, message=message)

    monkeypatch.setattr("relaylog.mail.aiosmtplib.send", send)
    configured = settings.model_copy(
        update={
            "smtp_host": "smtp.kommune.test",
            "smtp_port": 587,
            "smtp_starttls": True,
            "smtp_username": "stafett",
            "smtp_password": SecretStr("hemmelig"),
            "smtp_timeout_seconds": 7.0,
        }
    )
    mail = _mail()
    await Mailer(configured).send(mail)
    message = handed.pop("message")
    assert handed == {
        "hostname": "smtp.kommune.test",
        "port": 587,
        "start_tls": True,
        "use_tls": False,
        "username": "stafett",
        "password": "hemmelig",
        "timeout": 7.0,
    }
    assert message["Message-ID"] == message_id_for(mail.notification_id)

    await Mailer(settings.model_copy(update={"smtp_starttls": False})).send(mail)
    assert (handed["start_tls"], handed["username"], handed["password"]) == (False, None, None)


def test_a_failed_mail_is_tried_again_later_each_time_until_its_tries_are_used(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from procrastinate.jobs import Job

    from relaylog.jobs import jobs
    from relaylog.worker import configure_retries

    task = jobs.tasks["deliver"]
    monkeypatch.setattr(task, "retry_strategy", task.retry_strategy)  # restored afterwards
    configure_retries(
        settings.model_copy(update={"mail_max_attempts": 4, "mail_retry_base_seconds": 3})
    )
    assert task.retry_strategy is not None

    strategy = task.retry_strategy

    def wait_after(attempts: int) -> float | None:
        """Seconds until the next try, after ``attempts`` failed ones (``None``: no more)."""
        job = Job(
            queue="mail", lock=None, queueing_lock=None, task_name="deliver", attempts=attempts
        )
        before = datetime.now(UTC)
        decision = strategy.get_retry_decision(exception=OSError(), job=job)
        if decision is None:
            return None
        assert decision.retry_at is not None
        return round((decision.retry_at - before).total_seconds())

    # Four tries in all: after the first, second and third 3, 9 and 27 seconds; then none.
    assert [wait_after(n) for n in range(4)] == [3, 9, 27, None]

    configure_retries(settings.model_copy(update={"mail_max_attempts": 1}))
    assert task.retry_strategy is None  # one try: no retry at all


async def test_the_demo_mail_box_keeps_each_mail_as_an_eml_file(
    settings: Settings, tmp_path: Path
) -> None:
    box = tmp_path / "mail"
    mail = _mail()
    with MailSink(box) as sink:
        sent = settings.model_copy(update={"smtp_host": sink.host, "smtp_port": sink.port})
        await Mailer(sent).send(mail)
        await Mailer(sent).send(mail)
    files = sorted(box.iterdir())
    assert [f.name for f in files] == ["00001.eml", "00002.eml"]
    message = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert message["To"] == "gunnar@example.no"
    assert message["Message-ID"] == message_id_for(mail.notification_id)
    assert "https://stafett.test/logs/1" in message.get_body().get_content()  # type: ignore[union-attr]


async def test_the_demo_says_where_its_mail_box_is_and_its_worker_mails_there(
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``relaylog demo`` runs the API, the worker and the sink together: the line it prints
    names the folder, and mail sent to the SMTP server it names lands there."""
    from relaylog import cli

    async def no_worker(worker_settings: Settings, *args: Any, **kwargs: Any) -> None:
        await Mailer(worker_settings).send(_mail())  # what the worker would send

    monkeypatch.setattr("relaylog.worker.run_worker", no_worker)

    class Server:
        async def serve(self) -> None:
            import asyncio

            await asyncio.sleep(0.5)  # the worker task runs meanwhile

    await cli._serve_with_worker(
        settings.model_copy(update={"data_dir": tmp_path}),
        "postgresql://unused/x",
        Server(),  # type: ignore[arg-type]
    )
    printed = capsys.readouterr().out
    assert f"every mail it sends is written to {tmp_path / 'mail'}/" in printed
    assert [f.name for f in (tmp_path / "mail").iterdir()] == ["00001.eml"]
