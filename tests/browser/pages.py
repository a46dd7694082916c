"""What the browser tests do on the demo marketplace's pages, written once."""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.sync_api import Locator, Page, expect

#: How long Playwright waits for an element or a navigation; the pages answer in milliseconds.
TIMEOUT_MS = 5_000

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

LIST = "/my/support/"
#: the rows of a ticket list (its table: a heading per column, a ticket per row)
ROWS = ".ms-tickets tbody tr"
NEW_TICKET = "/my/support/new"

SENT = re.compile(r"Your ticket #(\d+) has been sent")


@dataclass(frozen=True)
class Customer:
    name: str

    #: where the demo marketplace sends the person after logging in
    landing = "/my"


@dataclass(frozen=True)
class Staff:
    name: str
    #: "provider" (the Support inbox) or "operator" (the Support console)
    area: str

    @property
    def landing(self) -> str:
        return f"/my/support/{self.area}/"

    @property
    def workspace(self) -> str:
        """The workspace's heading and its link in the user menu."""
        return "Support console" if self.area == "operator" else "Support inbox"


#: anna@acme.example, a customer of Acme Oy on the tenant "Nordic Cloud Market"
ANNA = Customer("Anna Virtanen")
#: pia@nimbus.example, staff of the provider Nimbus Hosting (Web hosting M)
PIA = Staff("Pia Provider", "provider")
#: paulo@postal.example, staff of the provider Postal Mail Co (Team mail 10)
PAULO = Staff("Paulo Post", "provider")
#: oscar@nordic.example, the operator of Nordic Cloud Market
OSCAR = Staff("Oscar Operator", "operator")


def log_in(page: Page, person: Customer | Staff) -> None:
    """Log in on the login page with the demo account's button, landing on My Page
    (customers) or in the support workspace (staff)."""
    page.goto("/login")
    page.get_by_role("button", name=f"Log in as {person.name}").click()
    page.wait_for_url(re.compile(rf"{re.escape(person.landing)}$"))


def open_user_menu(page: Page, person: Customer | Staff) -> Locator:
    """Open the host's user menu (a ``<details>`` showing the person's name); its list."""
    menu = page.locator("header details").filter(has=page.locator("summary", has_text=person.name))
    menu.locator("summary").click()
    links = menu.locator("ul")
    expect(links).to_be_visible()
    return links


def radio(page: Page, title: str) -> Locator:
    """A radio button whose label starts with ``title`` (labels also carry a hint)."""
    return page.get_by_role("radio", name=re.compile(rf"^{re.escape(title)}\b"))


def fill_new_ticket(
    page: Page,
    *,
    subject: str,
    service: str = "Web hosting M",
    area: str = "Technical problem with a service",
    priority: str = "High",
    about: str = "The control panel shows error 502 when I open the file manager.",
    outcome: str = "The file manager opens.",
    now: str = "Since this morning, every time.",
) -> None:
    radio(page, service).check()
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Problem area").select_option(label=area)
    radio(page, priority).check()
    page.get_by_label("What is the issue about?").fill(about)
    page.get_by_label("What outcome do you expect?").fill(outcome)
    page.get_by_label("What is happening now?").fill(now)


def sent_ticket_number(page: Page) -> int:
    """The number in the confirmation shown after a ticket was sent."""
    heading = page.get_by_role("heading", name=SENT)
    expect(heading).to_be_visible()
    match = SENT.search(heading.inner_text())
    assert match is not None
    return int(match.group(1))


def open_ticket_count(page: Page) -> int:
    """The number on the list's "Open" tab."""
    page.goto(LIST)
    tab = page.get_by_role("navigation", name="Ticket lists").get_by_role(
        "link", name=re.compile(r"^Open\b")
    )
    return int(tab.locator(".ms-count").inner_text())


def rows_with_subject(page: Page, subject: str) -> Locator:
    """The rows of the open-ticket list whose subject is exactly ``subject``."""
    page.goto(LIST)
    link = page.get_by_role("link", name=re.compile(rf"^#\d+ {re.escape(subject)}$"))
    return page.locator(ROWS).filter(has=link)


def described_by_text(control: Locator) -> str:
    """The text of every element the control's ``aria-describedby`` names.

    Fails when the attribute is missing or names an id that is not on the page.
    """
    ids = (control.get_attribute("aria-describedby") or "").split()
    assert ids, f"{control} has no aria-describedby"
    texts = []
    for element_id in ids:
        target = control.page.locator(f"[id='{element_id}']")
        assert target.count() == 1, f"aria-describedby names #{element_id}, not on the page once"
        texts.append(target.inner_text())
    return " ".join(texts)


_TOO_WIDE = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest("details:not([open]), .ms-visually-hidden")) continue;
    const box = el.getBoundingClientRect();
    const spills = el.scrollWidth > el.clientWidth + 1
      && getComputedStyle(el).overflowX === "visible";
    if (box.width > 0 && (box.right > width + 0.5 || spills)) wide.push(el);
  }
  // the innermost ones: their ancestors are only too wide because of them
  return wide.filter((el) => !wide.some((other) => other !== el && el.contains(other)))
    .map((el) => `<${el.tagName.toLowerCase()} class="${el.className}">`
      + ` right=${Math.round(el.getBoundingClientRect().right)} scrollWidth=${el.scrollWidth}`
      + ` "${el.textContent.replace(/\\s+/g, " ").trim().slice(0, 40)}"`);
}"""


def page_width_problems(page: Page, screen_width: int) -> str:
    """Empty when the page fits ``screen_width``; else what is too wide, for the failure.
    Measured once the page's stylesheets have loaded (what a person sees: a page reached by a
    form's redirect may be laid out before them)."""
    page.wait_for_load_state("load")
    widths = page.evaluate(
        "() => ({scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth})"
    )
    # with mobile emulation Chromium widens the layout viewport to fit a too-wide page
    if widths["scrollWidth"] <= widths["innerWidth"] == screen_width:
        return ""
    elements = "\n  ".join(page.evaluate(_TOO_WIDE)[:8])
    return f"{page.url} scrolls sideways on a {screen_width}px screen ({widths}):\n  {elements}"


_UNLABELLED_CONTROLS = """() => {
  const named = (ids) => (ids || "").split(/\\s+/).some(
    (id) => id && document.getElementById(id)?.textContent.trim());
  const problems = [];
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden" || el.getClientRects().length === 0) continue;  // not visible
    const labelled = Array.from(el.labels || []).some((l) => l.textContent.trim())
      || (el.getAttribute("aria-label") || "").trim()
      || named(el.getAttribute("aria-labelledby"));
    if (!labelled) problems.push("no label: " + el.outerHTML.slice(0, 120));
    if (el.type === "radio" || el.type === "checkbox") {
      const legend = el.closest("fieldset")?.querySelector(":scope > legend");
      if (!legend || !legend.textContent.trim()) {
        problems.push("no fieldset with legend: " + el.outerHTML.slice(0, 120));
      }
    }
  }
  return problems;
}"""


def unlabelled_controls(page: Page) -> list[str]:
    """Every visible form control without an accessible label (radios: also a legend)."""
    return page.evaluate(_UNLABELLED_CONTROLS)


def press_until_focused(page: Page, target: Locator, key: str = "Tab", limit: int = 30) -> int:
    """Press ``key`` until ``target`` has the focus; how many presses that took."""
    for presses in range(1, limit + 1):
        page.keyboard.press(key)
        if target.evaluate("element => element === document.activeElement"):
            return presses
    raise AssertionError(f"{target} not focused after {limit} presses of {key}")


def skip_browser_checks(page: Page) -> None:
    """Take the ``required`` marks off the page's fields, so a form goes to the server with
    fields missing (as from a browser without JavaScript): for tests of the server's refusal."""
    page.evaluate(
        "document.querySelectorAll('[required]').forEach(e => e.removeAttribute('required'))"
    )
