"""How long a ticket with files takes to send, and a file to download, in the example
marketplace on SQLite (the default filesystem storage under a temporary folder).

    python -m bench.attachments [--size-mb 2] [--files 5] [--repeat 10]
"""

from __future__ import annotations

import argparse
import io
import re
import statistics
import tempfile
import time

from example_host import create_app
from example_host.models import db
from tests.helpers import png


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=float, default=2)
    parser.add_argument("--files", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    size = int(args.size_mb * 1_000_000)
    content = png(40, 30) + b"\x00" * (size - len(png(40, 30)))

    with tempfile.TemporaryDirectory() as scratch:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{scratch}/bench.db",
                "SUPPORT_ATTACHMENT_ROOT": f"{scratch}/files",
                # a benchmark sends far faster than people: the module's rate limits are off
                "RATELIMIT_ENABLED": False,
            }
        )
        assert app.test_cli_runner().invoke(args=["demo", "reset"]).exit_code == 0
        client = app.test_client()
        login = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
        client.post(
            "/login", data={"csrf_token": token, "email": "anna@acme.example", "password": "demo"}
        )
        send_times, links = [], []
        for i in range(args.repeat):
            form = client.get("/my/support/new").get_data(as_text=True)
            hidden = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form))
            order = re.search(r'name="order" value="(\d+)"', form).group(1)
            data = {
                "csrf_token": hidden["csrf_token"],
                "submission_key": hidden["submission_key"],
                "order": order,
                "category": "technical",
                "priority": "medium",
                "subject": f"With files {i}",
                "issue_about": "See the screenshots.",
                "attachments": [(io.BytesIO(content), f"s{n}.png") for n in range(args.files)],
            }
            start = time.perf_counter()
            response = client.post("/my/support/new", data=data, content_type="multipart/form-data")
            send_times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 303, response.status_code
            page = client.get(response.headers["Location"]).get_data(as_text=True)
            links.append(
                re.search(r'<a href="(/my/support/tickets/\d+/files/\d+)">', page).group(1)
            )
        download_times = []
        for link in links:
            start = time.perf_counter()
            with client.get(link) as response:
                assert len(response.data) == size
            download_times.append((time.perf_counter() - start) * 1000)
        total_mb = args.files * size / 1_000_000
        print(
            f"send a ticket with {args.files} files of {args.size_mb} MB ({total_mb:.0f} MB): "
            f"median {statistics.median(send_times):.0f} ms, max {max(send_times):.0f} ms"
        )
        print(
            f"download one {args.size_mb} MB file: median {statistics.median(download_times):.1f}"
            f" ms, max {max(download_times):.1f} ms"
        )
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
