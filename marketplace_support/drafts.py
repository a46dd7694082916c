"""Files of a refused form, kept for its next submit.

A browser cannot put a chosen file back into a form, so when a form with files is refused (a
missing subject, a message too long, a limit reached), the files that passed their own checks
are kept, for the person and for that form (its ``submission_key``), and sent with the form's
next submit: nobody chooses them again. They are drafts for a short while only:
``flask support clean-attachments`` removes those older than ``SUPPORT_DRAFT_HOURS``.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, delete, select
from sqlalchemy.exc import SQLAlchemyError

from . import attachments, rate_limits
from .clock import now
from .host import Actor
from .models import DraftFile
from .schemas import SUBMISSION_KEY
from .state import support
from .storage import StorageUnavailable


def kept(tenant_id: str, actor: Actor, form_key: str) -> list[DraftFile]:
    """The files kept for this person's form, oldest first."""
    if not SUBMISSION_KEY.fullmatch(form_key or ""):
        return []
    return list(support.session.scalars(_of(tenant_id, actor, form_key).order_by(DraftFile.id)))


def keep(
    tenant_id: str, actor: Actor, form_key: str, uploads: Sequence[attachments.Upload]
) -> None:
    """Keep the ``uploads`` that pass the tenant's checks for the form's next submit, as many
    as a message may carry with those kept before (in a transaction of its own). A file kept
    is an upload stored: it counts against the upload limits now, not again when the form is
    sent with it.

    Raises:
        LimitReached: the person (or tenant) sent too many files; none was kept.
    """
    if not SUBMISSION_KEY.fullmatch(form_key or ""):
        return
    flags = support.flags(tenant_id)
    checked, _ = attachments.check(uploads, flags)
    room = flags.max_attachments - len(kept(tenant_id, actor, form_key))
    with rate_limits.counted_when_done():  # counted once the files are kept
        keeping = checked[: max(room, 0)]
        rate_limits.spend(tenant_id, actor, {rate_limits.Limited.UPLOADS: len(keeping)})
        session, storage = support.session, support.storage
        stored: list[str] = []
        try:
            for item in keeping:
                key = secrets.token_hex(16)
                storage.save(key, item.upload.stream)
                stored.append(key)
                session.add(
                    DraftFile(
                        tenant_id=tenant_id,
                        user_id=actor.user_id,
                        form_key=form_key,
                        storage_key=key,
                        filename=item.name,
                        size=item.size,
                        kind=item.kind.key,
                        created_at=now(),
                    )
                )
            session.commit()
        except BaseException:
            session.rollback()
            attachments.delete_undone(stored)
            raise


@contextmanager
def reopened(
    tenant_id: str, actor: Actor, form_key: str, dropped: Collection[str] = ()
) -> Iterator[list[attachments.Upload]]:
    """The kept files of the form, open to be sent with it again (closed when the block ends);
    those the person removed (``dropped``: their ids) are let go at once."""
    uploads = []
    try:
        for draft in kept(tenant_id, actor, form_key):
            if str(draft.id) in dropped:
                _remove([draft])
                continue
            try:
                stream = support.storage.open(draft.storage_key)
            except FileNotFoundError:
                continue
            uploads.append(attachments.Upload(draft.filename, stream, counted=True))
        yield uploads
    finally:
        for upload in uploads:
            upload.stream.close()


def clear(tenant_id: str, actor: Actor, form_key: str) -> None:
    """Let the form's kept files go: it was sent (they are stored with what it wrote). The
    change is committed by then: when the database or the storage fails here, the person is
    still answered that it was sent, and the drafts are left to :func:`remove_old` (the log
    says so); a draft of a sent form is never offered again (its form key is not)."""
    try:
        _remove(kept(tenant_id, actor, form_key))
    except (SQLAlchemyError, StorageUnavailable):
        support.session.rollback()
        current_app.logger.warning(
            "marketplace_support: the kept files of a sent form were not let go; "
            "the sweep removes them",
            exc_info=True,
        )


def remove_old(older_than: timedelta | None = None, moment: datetime | None = None) -> int:
    """Remove the drafts nobody came back for; returns how many."""
    hours = float(current_app.config["SUPPORT_DRAFT_HOURS"])
    limit = (moment or now()) - (older_than or timedelta(hours=hours))
    old = list(support.session.scalars(select(DraftFile).where(DraftFile.created_at < limit)))
    _remove(old)
    return len(old)


def _of(tenant_id: str, actor: Actor, form_key: str) -> Select[DraftFile]:
    return select(DraftFile).where(
        DraftFile.tenant_id == tenant_id,
        DraftFile.user_id == actor.user_id,
        DraftFile.form_key == form_key,
    )


def _remove(drafts: Sequence[DraftFile]) -> None:
    if not drafts:
        return
    session = support.session
    session.execute(delete(DraftFile).where(DraftFile.id.in_([d.id for d in drafts])))
    session.commit()
    for draft in drafts:
        support.storage.delete(draft.storage_key)
