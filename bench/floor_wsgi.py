"""The performance floor as a WSGI app for ``bench.throughput``: gunicorn imports
``bench.floor_wsgi:app``. The database is that of the config in ``SUPPORT_BENCH_APP_CONFIG``
(the JSON our app is made from, see ``bench.silent_wsgi``)."""

from __future__ import annotations

import json
import os

from .floor import create_floor_app

app = create_floor_app(
    json.loads(os.environ["SUPPORT_BENCH_APP_CONFIG"])["SQLALCHEMY_DATABASE_URI"]
)
