"""Where attachment files are kept: an interface, and the filesystem default.

A host with object storage implements :class:`AttachmentStorage` and passes it to
``MarketplaceSupport(app, host=..., storage=...)``. Keys are made by the module (random, URL-safe
hex); a user's file name is never part of a key or a path. The module uses every storage
through :class:`Guarded`: whatever it raises but a missing file is :class:`StorageUnavailable`,
which every channel answers as a passing failure (503, exit 75), never as a 500.
"""

from __future__ import annotations

import abc
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

_KEY = re.compile(r"^[0-9a-f]{32}$")


class AttachmentStorage(abc.ABC):
    """The four things the module asks of a file store."""

    @abc.abstractmethod
    def save(self, key: str, stream: IO[bytes]) -> None:
        """Store ``stream`` (read to its end) under ``key``; a new key is never saved twice."""

    @abc.abstractmethod
    def open(self, key: str) -> IO[bytes]:
        """The stored bytes, for reading. Raises FileNotFoundError for an unknown key."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove ``key``; an unknown key is not an error."""

    @abc.abstractmethod
    def stored(self) -> Iterator[tuple[str, datetime]]:
        """Every key with the UTC time it was stored (for removing files nobody refers to)."""

    def download_url(
        self, key: str, disposition: str, content_type: str, seconds: int
    ) -> str | None:
        """An address where the browser may fetch ``key`` itself for ``seconds``, answered with
        these ``Content-Disposition`` and ``Content-Type``; None (the default): the file is sent
        by the app. Asked only after the person's access was checked."""
        return None


def check_key(key: str) -> str:
    """Raises ValueError for anything but a key the module made (no paths, no dots)."""
    if not _KEY.match(key):
        raise ValueError(f"not an attachment key: {key!r}")
    return key


class FilesystemStorage(AttachmentStorage):
    """Files under ``root``, as ``root/ab/<key>``; written to a temporary file first and moved
    into place, so a half-written file never has its final name."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        check_key(key)
        return self.root / key[:2] / key

    def save(self, key: str, stream: IO[bytes]) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as target:
                shutil.copyfileobj(stream, target)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> IO[bytes]:
        return self._path(key).open("rb")

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def stored(self) -> Iterator[tuple[str, datetime]]:
        if not self.root.is_dir():
            return
        for folder in self.root.iterdir():
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                if _KEY.match(path.name):
                    yield path.name, datetime.fromtimestamp(path.stat().st_mtime, UTC)


class StorageUnavailable(Exception):
    """The attachment storage failed (a full disk, a permission refused, an object store that
    does not answer); not a file that is missing (``FileNotFoundError``)."""


@contextmanager
def _unavailable_when_failing() -> Iterator[None]:
    try:
        yield
    except (FileNotFoundError, StorageUnavailable):
        raise
    except Exception as failed:  # whatever the storage (the host's too) raises
        raise StorageUnavailable(f"{type(failed).__name__}: {failed}") from failed


class Guarded(AttachmentStorage):
    """``inner``, with its failures other than a missing file raised as
    :class:`StorageUnavailable` (see the module's docstring)."""

    def __init__(self, inner: AttachmentStorage) -> None:
        self.inner = inner

    def save(self, key: str, stream: IO[bytes]) -> None:
        with _unavailable_when_failing():
            self.inner.save(key, stream)

    def open(self, key: str) -> IO[bytes]:
        with _unavailable_when_failing():
            return self.inner.open(key)

    def delete(self, key: str) -> None:
        with _unavailable_when_failing():
            self.inner.delete(key)

    def stored(self) -> Iterator[tuple[str, datetime]]:
        with _unavailable_when_failing():
            yield from self.inner.stored()

    def download_url(
        self, key: str, disposition: str, content_type: str, seconds: int
    ) -> str | None:
        with _unavailable_when_failing():
            return self.inner.download_url(key, disposition, content_type, seconds)
