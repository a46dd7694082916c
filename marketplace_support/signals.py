"""Signals the module sends, after the change they announce is committed.

Connect with ``emergency_raised.connect(receiver, app)``; receivers take ``sender`` (the app)
and keyword arguments, and should accept ``**extra`` so new arguments do not break them.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: A customer reported an emergency ("service is down") on a ticket; page someone.
#: Sender: the app. Keyword arguments: ``ticket`` (the ticket, now Urgent), ``actor`` (the
#: customer), ``explanation`` (their words).
emergency_raised = _signals.signal("marketplace-support-emergency-raised")
