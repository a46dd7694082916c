"""A mail catcher for the demo: a real SMTP server on loopback (aiosmtpd) that keeps every
message it receives as a file, and pages that show them, so a person trying the demo sees the
notifications the support desk sends. Started by ``make demo`` (on ``MAIL_PORT``, by default
20 above the app's port); never part of a real host.

The person can also answer an e-mail from its page, as from a mail program: the answer, with
the e-mail quoted below it, goes to its ``Reply-To`` through the module's LMTP server
(``marketplace_support.lmtp``, started beside the catcher on a port the system picks), the
way a host's mail server hands answers in."""

from __future__ import annotations

import asyncio
import email
import email.policy
import email.utils
import smtplib
import socket
import time
from collections.abc import Awaitable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from marketplace_support import lmtp, outbox

bp = Blueprint("mail", __name__, url_prefix="/dev/mail")


class _KeepMessages:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        name = f"{time.time_ns()}.eml"
        (self.folder / name).write_bytes(envelope.content)
        return "250 Message accepted for delivery"


class _Controller(Controller):
    """aiosmtpd's controller on a socket bound before it starts, so that port 0 (a free port
    the system picks) works: aiosmtpd connects to its own port to check the server runs."""

    def __init__(self, handler: Any, hostname: str, port: int) -> None:
        try:
            self._socket = socket.create_server((hostname, port))
        except OSError as error:
            raise OSError(
                f"The demo's mail catcher cannot listen on {hostname}:{port} ({error.strerror}):"
                " set MAIL_PORT to a free port, or 0 for one the system picks."
            ) from error
        super().__init__(handler, hostname=hostname, port=self._socket.getsockname()[1])

    def _create_server(self) -> Awaitable[asyncio.AbstractServer]:
        return self.loop.create_server(
            self._factory_invoker, sock=self._socket, ssl=self.ssl_context
        )


class _LMTPController(_Controller):
    """The module's LMTP handler on a port the system picks."""

    def factory(self) -> LMTP:
        return LMTP(self.handler)


class _Servers:
    """The catcher (SMTP, the desk's e-mails) and the LMTP server answers go to."""

    def __init__(self, catcher: _Controller, answers: _LMTPController) -> None:
        self.catcher, self.answers = catcher, answers

    def stop(self) -> None:
        self.catcher.stop()
        self.answers.stop()


def start(app: Flask) -> Controller:
    """Start the catcher on ``MAIL_PORT`` (0: a free port, then written to ``MAIL_PORT``) and
    send the app's mail to it; messages are kept in ``MAIL_CATCHER_FOLDER`` (by default
    ``mail`` in the instance folder). Call it before Flask-Mail reads the settings.

    Raises: OSError when the port is taken.
    """
    app.config.setdefault("MAIL_CATCHER_FOLDER", str(Path(app.instance_path) / "mail"))
    folder = _folder(app)
    folder.mkdir(parents=True, exist_ok=True)
    controller = _Controller(_KeepMessages(folder), "127.0.0.1", int(app.config["MAIL_PORT"]))
    controller.start()
    answers = _LMTPController(lmtp.Handler(app), "127.0.0.1", 0)
    answers.start()
    app.config.update(MAIL_SERVER=controller.hostname, MAIL_PORT=controller.port)
    app.extensions["mail_catcher"] = _Servers(controller, answers)
    app.register_blueprint(bp)
    return controller


def _folder(app: Flask | None = None) -> Path:
    return Path((app or current_app).config["MAIL_CATCHER_FOLDER"])


def _read(path: Path) -> email.message.EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


@bp.get("/")
def inbox() -> ResponseReturnValue:
    paths = sorted(_folder().glob("*.eml"), reverse=True)[:100]
    messages = [(path.stem, _read(path)) for path in paths]
    return render_template("example_host/mail.html", messages=messages)


@bp.get("/<name>")
def message(name: str) -> ResponseReturnValue:
    path = _folder() / f"{name}.eml"
    if not name.isdigit() or not path.exists():
        abort(404)
    mail = _read(path)
    return render_template(
        "example_host/mail_message.html",
        name=name,
        mail=mail,
        text=_text(mail),
        answered=request.args.get("answered"),
    )


def _text(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    return part.get_content() if part else ""


@bp.post("/<name>/answer")
def answer(name: str) -> ResponseReturnValue:
    """Answer the e-mail as its recipient would from a mail program, through LMTP; then
    deliver what the answer caused, so its e-mails show here."""
    path = _folder() / f"{name}.eml"
    if not name.isdigit() or not path.exists():
        abort(404)
    mail = _read(path)
    reply_to = mail["Reply-To"].addresses[0].addr_spec if mail["Reply-To"] else None
    if reply_to is None:
        abort(404)
    reply = _reply(mail, reply_to, request.form.get("body", ""))
    servers: _Servers = current_app.extensions["mail_catcher"]
    with smtplib.LMTP(servers.answers.hostname, servers.answers.port) as connection:
        connection.ehlo()  # LHLO
        connection.mail(str(reply["From"]))
        connection.rcpt(reply_to)
        code, said = connection.data(reply.as_bytes(policy=email.policy.SMTP))
    outbox.deliver()
    result = said.decode().split()[-1] if code == 250 else f"{code} {said.decode()}"
    return redirect(url_for("mail.message", name=name, answered=result), code=303)


def _reply(mail: EmailMessage, reply_to: str, body: str) -> EmailMessage:
    """An answer as mail programs write one: the text, then the e-mail quoted."""
    reply = EmailMessage()
    reply["From"] = str(mail["To"])
    reply["To"] = reply_to
    reply["Subject"] = f"Re: {mail['Subject']}"
    reply["Message-ID"] = email.utils.make_msgid(domain="demo.example")
    reply["In-Reply-To"] = reply["References"] = str(mail["Message-ID"])
    quoted = "\n".join(f"> {line}" for line in _text(mail).splitlines())
    reply.set_content(f"{body}\n\nOn {mail['Date']}, {mail['From']} wrote:\n{quoted}\n")
    return reply


@bp.get("/<name>/html")
def html_part(name: str) -> ResponseReturnValue:
    path = _folder() / f"{name}.eml"
    if not name.isdigit() or not path.exists():
        abort(404)
    part = _read(path).get_body(("html",))
    response = Response(part.get_content() if part else "", mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; style-src 'unsafe-inline'"
    )
    return response


@bp.post("/deliver")
def deliver_now() -> ResponseReturnValue:
    """What ``flask support deliver`` does, from a button."""
    outbox.deliver()
    return redirect(url_for("mail.inbox"), code=303)
