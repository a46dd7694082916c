"""What the variable parts of the module's addresses may hold.

Ticket numbers and file ids live in ``Integer`` columns: a number beyond them cannot name
anything, so routing answers 404 before any query (the database would refuse the value).
"""

from __future__ import annotations

from ..models import INTEGER_MAX

#: The converter of a ticket number or a file id in a URL rule: ``f"/tickets/<{ID}:number>"``.
ID = f"int(min=1, max={INTEGER_MAX})"
