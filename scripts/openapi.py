"""Write the JSON API's OpenAPI document to docs/openapi.json (developers only).

    python scripts/openapi.py

The document is the one the API serves at ``/support/api/v1/openapi.json`` with the default
``SUPPORT_URL_PREFIX``; ``tests/test_api.py`` fails while the copy is out of step with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from flask import Flask
from flask_babel import Babel
from flask_sqlalchemy import SQLAlchemy

from marketplace_support import Actor, HostAdapter, MarketplaceSupport, Order

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"


class _NoOne(HostAdapter):
    def current_actor(self) -> Actor | None:
        return None

    def active_orders(self, tenant_id: str, actor: Actor) -> Sequence[Order]:
        return ()


def main() -> None:
    app = Flask("openapi")
    app.config.update(
        SQLALCHEMY_DATABASE_URI="sqlite://", SUPPORT_SITE_URL="https://example.invalid"
    )
    SQLAlchemy(app)
    Babel(app)
    MarketplaceSupport(app, host=_NoOne())
    served = app.test_client().get("/support/api/v1/openapi.json")
    DOCUMENT.write_bytes(served.get_data())
    print(f"wrote {DOCUMENT}")


if __name__ == "__main__":
    main()
