"""Demo data: three marketplaces with different support settings, and their people.

Every demo account's password is ``demo``. Tickets are opened through the support module's
own use-cases, so they are routed exactly as a customer's would be.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Sequence
from pathlib import Path

from werkzeug.security import generate_password_hash

from marketplace_support import Actor, actions, attachments, tickets
from marketplace_support.models import Ticket
from marketplace_support.workflow import Action, Role

from .adapter import actor_for
from .models import Organisation, Provider, ServiceOrder, Tenant, TenantText, User, db
from .request_types import demo_request_types

DEMO_PASSWORD = "demo"

NORDIC_TROUBLESHOOTING = """<p>Most problems are solved fastest by the provider of the service:</p>
<ul>
<li>Check the <a href="https://status.example.com">status page</a> for planned maintenance.</li>
<li>Try again in a private browser window.</li>
<li>Note the exact error message and when it happened; attach a screenshot if you can.</li>
</ul>"""

ALPEN_TROUBLESHOOTING_DE = """<p>Bitte prüfen Sie zuerst:</p>
<ul>
<li>Gibt es eine angekündigte Wartung auf der <a href="https://status.example.com">Statusseite</a>?</li>
<li>Tritt das Problem auch in einem anderen Browser auf?</li>
</ul>
<p>Tickets auf diesem Marktplatz betreffen immer einen Ihrer aktiven Dienste.</p>"""

ALPEN_TROUBLESHOOTING_EN = """<p>Please check first:</p>
<ul>
<li>Is maintenance announced on the <a href="https://status.example.com">status page</a>?</li>
<li>Does the problem also happen in another browser?</li>
</ul>
<p>On this marketplace, tickets are always about one of your active services.</p>"""


def create_demo_data() -> None:
    """Fill an empty database with the demo marketplaces, accounts, orders and tickets."""
    _marketplaces()
    companies = _companies()
    people = _people(companies)
    orders = _orders(companies)
    db.session.commit()
    _tickets(people, orders)


def _marketplaces() -> None:
    nordic = Tenant(
        id="nordic",
        name="Nordic Cloud Market",
        default_locale="en",
        emergencies_allowed=True,
        share_by_default=True,
        support_email="support@nordic.example",
    )
    alpen = Tenant(
        id="alpen",
        name="Alpen Markt",
        default_locale="de",
        ticket_without_order=False,
        customer_may_resolve=False,
        reopen_days=7,
        support_email="hilfe@alpen.example",
        timezone="Europe/Berlin",
    )
    harbor = Tenant(id="harbor", name="Harbor Services", support_enabled=False)
    db.session.add_all([nordic, alpen, harbor])
    db.session.flush()  # the rows below refer to the tenants (no relationship orders them)
    db.session.add_all(demo_request_types("nordic"))
    db.session.add_all(
        [
            TenantText(
                tenant_id="nordic", key="troubleshooting", locale="en", text=NORDIC_TROUBLESHOOTING
            ),
            TenantText(
                tenant_id="alpen", key="troubleshooting", locale="de", text=ALPEN_TROUBLESHOOTING_DE
            ),
            TenantText(
                tenant_id="alpen", key="troubleshooting", locale="en", text=ALPEN_TROUBLESHOOTING_EN
            ),
        ]
    )


def _companies() -> dict[str, Organisation | Provider]:
    """The customers' organisations and the providers, by a short name."""
    companies: dict[str, Organisation | Provider] = {
        "acme": Organisation(tenant_id="nordic", name="Acme Oy"),
        "birch": Organisation(tenant_id="nordic", name="Birch AB"),
        "berg": Organisation(tenant_id="alpen", name="Bergbau GmbH"),
        "quay": Organisation(tenant_id="harbor", name="Quay Traders"),
        "nimbus": Provider(
            tenant_id="nordic",
            name="Nimbus Hosting",
            support_email="tickets@nimbus.example",
            always_open=True,
        ),
        # its support desk reads French: its e-mails go out in French
        "postal": Provider(
            tenant_id="nordic",
            name="Postal Mail Co",
            support_email="help@postal.example",
            locale="fr",
        ),
        "gipfel": Provider(
            tenant_id="alpen", name="Gipfel IT", support_email="support@gipfel.example", locale="de"
        ),
        "anchor": Provider(tenant_id="harbor", name="Anchor Logistics"),
    }
    db.session.add_all(companies.values())
    db.session.flush()
    return companies


def _people(companies: dict[str, Organisation | Provider]) -> dict[str, User]:
    """The demo accounts (every password is ``DEMO_PASSWORD``), by first name."""
    password = generate_password_hash(DEMO_PASSWORD)
    people: dict[str, User] = {}

    def user(tenant: str, email: str, name: str, **extra: object) -> None:
        account = User(tenant_id=tenant, email=email, name=name, password_hash=password, **extra)
        db.session.add(account)
        people[name.split()[0].lower()] = account

    acme, birch, berg, quay = (companies[k].id for k in ("acme", "birch", "berg", "quay"))
    nimbus, postal, gipfel = (companies[k].id for k in ("nimbus", "postal", "gipfel"))
    berlin = "Europe/Berlin"
    user("nordic", "anna@acme.example", "Anna Virtanen", organisation_id=acme)
    user("nordic", "aino@acme.example", "Aino Aalto", organisation_id=acme, locale="de")
    user(
        "nordic",
        "ben@birch.example",
        "Ben Berg",
        organisation_id=birch,
        timezone="Europe/Stockholm",
    )
    user("nordic", "pia@nimbus.example", "Pia Provider", provider_id=nimbus)
    user("nordic", "nils@nimbus.example", "Nils Nimbus", provider_id=nimbus)
    user("nordic", "paulo@postal.example", "Paulo Post", provider_id=postal)
    user("nordic", "oscar@nordic.example", "Oscar Operator", is_operator=True)
    user("alpen", "lena@bergbau.example", "Lena Huber", organisation_id=berg, timezone=berlin)
    user("alpen", "georg@gipfel.example", "Georg Gipfel", provider_id=gipfel, timezone=berlin)
    user("alpen", "olga@alpen.example", "Olga Oberhofer", is_operator=True, timezone=berlin)
    user("harbor", "hugo@quay.example", "Hugo Hansen", organisation_id=quay)
    return people


def _orders(companies: dict[str, Organisation | Provider]) -> dict[str, ServiceOrder]:
    """The organisations' service orders (one ended), by a short name."""

    def order(org: str, provider: str, name: str, plan: str, active: bool = True) -> ServiceOrder:
        row = ServiceOrder(
            tenant_id=companies[org].tenant_id,
            organisation_id=companies[org].id,
            provider_id=companies[provider].id,
            service_name=name,
            plan=plan,
            active=active,
        )
        db.session.add(row)
        return row

    orders = {
        "hosting": order("acme", "nimbus", "Web hosting M", "gold"),
        "mail": order("acme", "postal", "Team mail 10", "standard"),
        "backup": order("acme", "nimbus", "Backup S", "standard", active=False),
        "shop": order("birch", "nimbus", "Shop starter", "silver"),
        "erp": order("berg", "gipfel", "ERP Cloud", "premium"),
        "webshop": order("berg", "gipfel", "Webshop Basis", "standard"),
        "freight": order("quay", "anchor", "Freight tracking", "standard"),
    }
    db.session.flush()
    return orders


def _tickets(people: dict[str, User], orders: dict[str, ServiceOrder]) -> None:
    """Tickets in every state the demo shows: waiting for the customer, resolved, escalated,
    an emergency, one in German."""
    anna, pia = actor_for(people["anna"]), people["pia"]
    screenshot = Path(__file__).parent / "demo_files" / "slow-page.png"
    slow = _open(
        anna,
        "nordic",
        str(orders["hosting"].id),
        "technical",
        "high",
        "The website loads very slowly since Monday",
        "Our shop at acme.example takes 20 seconds to load every page.",
        "Pages load in under two seconds, as before.",
        "Since Monday morning, every page, for all our customers.",
        files=[screenshot],
    )
    _act(pia, slow, Action.NOTE, body="Load on the host is normal. Maybe the shop's database?")
    _act(
        pia,
        slow,
        Action.REPLY,
        body="Thanks, Anna. Could you send us the address of one slow page, and the time you "
        "last saw it slow?",
        then="wait_for_customer",
    )
    invoice = _open(
        anna,
        "nordic",
        "none",
        "billing",
        "low",
        "Invoice for October shows the wrong VAT number",
        "The October invoice has our old VAT number.",
        "A corrected invoice.",
        "",
        answers={"invoice_number": "R-2026-1031", "amount": "1240.50"},
    )
    _act(people["anna"], invoice, Action.RESOLVE)
    _escalated_and_urgent(people, orders)
    # last, so the numbers of the tickets above stay as the browser tests know them
    _open(
        anna,
        "nordic",
        str(orders["hosting"].id),
        "no_connection",
        "high",
        "Office is offline",
        "",
        "",
        "",
        answers={"address": "Esplanadi 12, Helsinki", "router_lights": "blinking_red"},
    )


def _escalated_and_urgent(people: dict[str, User], orders: dict[str, ServiceOrder]) -> None:
    checkout = _open(
        actor_for(people["ben"]),
        "nordic",
        str(orders["shop"].id),
        "technical",
        "high",
        "Checkout fails with a payment error",
        "Customers see 'payment declined' for every card.",
        "Payments go through.",
        "Since this morning; every order.",
    )
    _act(
        people["pia"],
        checkout,
        Action.ESCALATE,
        reason="The payment gateway is run by the marketplace, not by us.",
    )
    down = _open(
        actor_for(people["anna"]),
        "nordic",
        str(orders["mail"].id),
        "technical",
        "high",
        "No e-mail arrives",
        "Since 8:00 no e-mail reaches our mailboxes.",
        "E-mail arrives again.",
        "All 10 mailboxes, since 8:00.",
    )
    _act(
        people["anna"],
        down,
        Action.RAISE_EMERGENCY,
        explanation="Nobody in the company gets e-mail.",
    )
    export = _open(
        actor_for(people["lena"]),
        "alpen",
        str(orders["erp"].id),
        "technical",
        "medium",
        "Export nach Excel bricht ab",
        "Der Export der Lagerliste bricht nach 30 Sekunden ab.",
        "Die vollständige Liste als Excel-Datei.",
        "Jeden Tag seit dem Update.",
    )
    _act(people["georg"], export, Action.REPLY, body="Danke, wir sehen uns das heute an.")


def _act(account: User, ticket: Ticket, action: Action, **form: str) -> None:
    """What the person would do on the ticket page, through the module's own use-case."""
    actor = actor_for(account)
    role = Role.CUSTOMER if actor.is_customer else Role.PROVIDER
    if action in (Action.REPLY, Action.NOTE):
        form["submission_key"] = secrets.token_urlsafe(24)
    actions.act(ticket.tenant_id, actor, role, ticket.number, action, form)


def _open(
    actor: Actor,
    tenant: str,
    order: str,
    category: str,
    priority: str,
    subject: str,
    about: str,
    outcome: str,
    scenario: str,
    files: Sequence[Path] = (),
    answers: dict[str, str] | None = None,
) -> Ticket:
    uploads = [attachments.Upload(path.name, io.BytesIO(path.read_bytes())) for path in files]
    return tickets.open_ticket(
        tenant,
        actor,
        {
            "submission_key": secrets.token_urlsafe(24),
            "order": order,
            "category": category,
            "priority": priority,
            "subject": subject,
            "issue_about": about,
            "expected_outcome": outcome,
            "current_scenario": scenario,
            **{f"answer-{key}": value for key, value in (answers or {}).items()},
        },
        uploads,
    ).ticket
