"""How a host pages people when a customer reports an emergency: a receiver of the module's
``emergency_raised`` signal. This demo "sends" the SMS to the log; a real marketplace would
call its SMS or on-call service here."""

from __future__ import annotations

from typing import Any

from flask import Flask

from marketplace_support.signals import emergency_raised


def connect(app: Flask) -> None:
    def page_the_on_call_team(sender: Flask, *, ticket: Any, event: Any, **extra: Any) -> None:
        sender.logger.warning(
            "SMS to the on-call team of %s: emergency on ticket #%s (%s): %s",
            ticket.tenant_id,
            ticket.number,
            ticket.subject,
            event.detail,
        )

    emergency_raised.connect(page_the_on_call_team, app, weak=False)
