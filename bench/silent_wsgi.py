"""The example marketplace as a WSGI app for ``bench.silent_smtp``: gunicorn imports
``bench.silent_wsgi:app``. Its config (database, mail server, any ``--set`` of the benchmark)
comes as JSON in ``SUPPORT_BENCH_APP_CONFIG``."""

from __future__ import annotations

import json
import os

from example_host import create_app

app = create_app(json.loads(os.environ["SUPPORT_BENCH_APP_CONFIG"]))
