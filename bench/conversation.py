"""What a ticket's reads cost as its conversation grows: the provider's ticket page, the page
with every part unfolded (``?entries=all``) and the customer's API read, for one ticket of
``--messages`` messages (replies and internal notes, through the module's use-cases), in the
example marketplace on a temporary SQLite file.

    python -m bench.conversation [--messages 2000] [--reps 5]

It prints, for each read, the fastest of ``--reps`` requests (wall time: the cost grows with
the conversation or it does not, which a few requests show) and the bytes of the answer.
Seeding goes through the use-cases, about 300 messages a second.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from .pages import CUSTOMER, PROVIDER, apps, logged_in

API = "/my/support/api/v1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/bench.db"
        with apps(url, scratch, 10, args.messages) as (ours, _, seeded):
            number = seeded.busy_number
            reads = [
                ("the page", PROVIDER, f"/my/support/provider/tickets/{number}"),
                ("unfolded", PROVIDER, f"/my/support/provider/tickets/{number}?entries=all"),
                ("the customer's API read", CUSTOMER, f"{API}/my/tickets/{number}"),
            ]
            print(f"one ticket of {args.messages} messages, the fastest of {args.reps} requests")
            for name, who, address in reads:
                client = logged_in(ours, who)
                fastest, size = float("inf"), 0
                for _ in range(args.reps):
                    start = time.perf_counter()
                    response = client.get(address)
                    size = len(response.get_data())
                    fastest = min(fastest, time.perf_counter() - start)
                    assert response.status_code == 200, (address, response.status_code)
                print(f"  {name:26} {fastest * 1000:7.1f} ms {size:10,} bytes")


if __name__ == "__main__":
    main()
