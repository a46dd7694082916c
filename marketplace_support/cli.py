"""``flask support ...``: the module's commands for cron and operators."""

from __future__ import annotations

import imaplib
import time
from collections import Counter
from datetime import timedelta
from typing import IO, Any, cast

import click
from flask import current_app
from flask.cli import AppGroup

from . import (
    attachments,
    clock,
    drafts,
    idempotency,
    imap,
    inbound,
    outbox,
    quarantine,
    sweep,
    webhooks,
)
from .clock import now

support_cli = AppGroup("support", help="The marketplace support desk.")


@support_cli.command("clean-attachments")
@click.option(
    "--older-than",
    default=60,
    show_default=True,
    help="Minutes a stored file must be old before it may be removed.",
)
def clean_attachments(older_than: int) -> None:
    """Remove the files of refused forms nobody came back for (``SUPPORT_DRAFT_HOURS``), and
    stored files that no attachment refers to (left by a request that died between storing a
    file and committing its ticket). Safe to run from cron at any time."""
    drafts_removed = drafts.remove_old()
    removed = attachments.remove_orphans(timedelta(minutes=older_than), now())
    click.echo(f"Removed {drafts_removed} kept file(s) of refused forms.")
    click.echo(f"Removed {removed} stored file(s) that no attachment refers to.")


@support_cli.command("clean-mail")
def clean_mail() -> None:
    """Remove mail that did not get in (the quarantine) once it is older than
    ``SUPPORT_QUARANTINE_DAYS``. Safe to run from cron at any time."""
    removed = quarantine.remove_old(now())
    click.echo(f"Removed {removed} kept message(s) older than the quarantine keeps them.")


@support_cli.command("deliver")
@click.option("--loop", is_flag=True, help="Keep delivering until stopped (for a service).")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between passes.")
@click.option("--batch", default=100, show_default=True, help="Notifications per pass.")
def deliver(loop: bool, interval: float, batch: int) -> None:
    """Send the notifications that are due. Run it once from cron, or with --loop as a
    worker; any number of workers may run at once."""
    while True:
        try:
            report = deliver_pass(batch)
        except outbox.ServerUnavailable as down:
            click.echo(f"the mail server did not answer ({down.problem}); trying again later")
            report = outbox.Report()
        if report.handled:
            click.echo(
                f"sent {len(report.sent)}, will retry {len(report.retrying)}, "
                f"failed {len(report.failed)}"
            )
        if not loop:
            return
        if report.handled < batch:
            time.sleep(interval)


def deliver_pass(batch: int) -> outbox.Report:
    """One pass of the worker in an app context of its own: what is cached per request (the
    tenant's flags and texts) and the database session start anew, so a worker that runs for
    weeks sends what the host says now.

    Raises: outbox.ServerUnavailable (recorded on the rows; they wait for the next pass).
    """
    with current_app.app_context():
        return outbox.deliver(limit=batch)


@support_cli.command("sweep")
def run_sweep() -> None:
    """Escalate missed first responses, remind customers, resolve and close old tickets;
    forget the API's idempotency keys after a day, and the tries of webhooks after
    ``SUPPORT_WEBHOOK_LOG_DAYS``. Run it from cron every minute; several machines may run
    it at once."""
    report = sweep.sweep()
    forgotten = idempotency.forget_old(clock.now())
    tries = webhooks.forget_old_tries(clock.now())
    click.echo(
        f"escalated {len(report.escalated)}, reminded {len(report.reminded)}, "
        f"resolved {len(report.resolved)}, closed {len(report.closed)}, "
        f"forgot {forgotten} idempotency keys and {tries} webhook tries"
    )


#: sysexits.h: the mail server keeps the message and tries again later
EX_TEMPFAIL = 75


@support_cli.command("receive")
@click.option(
    "--recipient",
    "recipients",
    multiple=True,
    help="The envelope recipient (Postfix: ${original_recipient}); may be given again.",
)
@click.argument("message", type=click.File("rb"), default="-")
def receive(recipients: tuple[str, ...], message: IO[bytes]) -> None:
    """Take one answer by e-mail (an RFC 5322 message, from standard input or the file
    MESSAGE): onto its ticket,
    or into quarantine. For an MTA's pipe transport: exit 0 when it was taken or kept, 75
    (try again later) when the database could not be reached."""
    raw = message.read()
    try:
        outcome = inbound.receive(raw, recipients)
    except Exception:
        current_app.logger.exception("an answer by e-mail could not be taken in")
        click.echo("temporary failure: the message was not taken; try again later", err=True)
        raise SystemExit(EX_TEMPFAIL) from None
    detail = f" ({outcome.reason.value})" if outcome.reason else ""
    click.echo(f"{outcome.result.value}{detail}")


@support_cli.command("receive-smtp")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8024, show_default=True, help="Port to listen on.")
def receive_smtp(host: str, port: int) -> None:
    """Run an LMTP server that takes answers by e-mail from the host's mail server (needs
    the ``lmtp`` extra: aiosmtpd). Runs until stopped; several may run at once."""
    from . import lmtp  # aiosmtpd is an extra

    app = cast(Any, current_app)._get_current_object()
    server = lmtp.server(app, host, port)
    server.start()
    click.echo(f"LMTP on {host}:{port}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


@support_cli.command("receive-imap")
@click.option("--host", required=True, help="The IMAP server.")
@click.option("--port", type=int, default=None, help="Default: 993 with tls, else 143.")
@click.option("--user", required=True, help="The mailbox's login.")
@click.option(
    "--password",
    envvar="IMAP_PASSWORD",
    required=True,
    help="The mailbox's password; better given in the environment as IMAP_PASSWORD.",
)
@click.option("--mailbox", default="INBOX", show_default=True, help="The folder to read.")
@click.option(
    "--security",
    type=click.Choice([choice.value for choice in imap.Security]),
    default=imap.Security.TLS.value,
    show_default=True,
    help="tls (port 993), starttls, or none (only for a server on the same machine).",
)
@click.option("--loop", is_flag=True, help="Keep polling until stopped (for a service).")
@click.option("--interval", default=60.0, show_default=True, help="Seconds between passes.")
@click.option("--batch", default=100, show_default=True, help="Messages per pass.")
def receive_imap(
    host: str,
    port: int | None,
    user: str,
    password: str,
    mailbox: str,
    security: str,
    loop: bool,
    interval: float,
    batch: int,
) -> None:
    """Take the answers by e-mail waiting in an IMAP mailbox (hosted mail): onto their
    tickets, or into quarantine; each is deleted from the mailbox once taken. Once from cron,
    or with --loop as a service; several may poll one mailbox. Exit 75 when a pass could not
    finish (the server or the database could not be reached): what it left waits."""
    chosen = imap.Security(security)
    box = imap.Mailbox(
        host, port or (993 if chosen is imap.Security.TLS else 143), user, password, mailbox, chosen
    )
    while True:
        finished = imap_pass(box, batch)
        if not loop:
            if not finished:
                raise SystemExit(EX_TEMPFAIL)
            return
        time.sleep(interval)


def imap_pass(box: imap.Mailbox, batch: int) -> bool:
    """One pass in an app context of its own; whether it finished (else it says why)."""
    try:
        with current_app.app_context():
            report = imap.poll(box, batch)
    except (OSError, imap.MailboxError, imaplib.IMAP4.error) as problem:
        click.echo(f"the mailbox could not be read ({problem}); trying again later", err=True)
        return False
    counts = Counter(outcome.result.value for outcome in report.outcomes)
    if counts:
        click.echo(", ".join(f"{result} {count}" for result, count in sorted(counts.items())))
    if report.stopped:
        click.echo(f"stopped: {report.stopped}; the rest waits", err=True)
    return report.stopped is None
