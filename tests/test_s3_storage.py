"""S3Storage against a real S3-compatible server on loopback: large files in bounded memory,
missing files, what the clean-up sees, and the configuration that chooses it."""

from __future__ import annotations

import io
import tracemalloc

import pytest

from marketplace_support.s3_storage import PART_BYTES, S3Storage
from marketplace_support.storage import FilesystemStorage

from .conftest import host_app
from .s3server import client, new_bucket

KEY = "0123456789abcdef0123456789abcdef"


class Zeros(io.RawIOBase):
    """``size`` bytes of a file being uploaded, made as they are read (none kept)."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        count = min(len(buffer), self.left)
        buffer[:count] = bytes(count)
        self.left -= count
        return count


@pytest.fixture
def storage(s3_endpoint):
    return S3Storage(new_bucket(s3_endpoint), "files/", client(s3_endpoint))


@pytest.mark.slow
def test_a_100_mb_upload_is_streamed_in_parts_in_bounded_memory(storage):
    size = 100 * 1024 * 1024
    tracemalloc.start()
    try:
        storage.save(KEY, io.BufferedReader(Zeros(size)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    head = storage.client.head_object(Bucket=storage.bucket, Key=f"files/{KEY}")
    assert head["ContentLength"] == size
    # a few parts at once (measured: about 4 of 8 MB, the same for 50 and 100 MB files)
    assert peak < 6 * PART_BYTES, f"{peak / 2**20:.1f} MB at once for a 100 MB file"
    with storage.open(KEY) as stream:
        stream.seek(0, io.SEEK_END)
        assert stream.tell() == size


def test_a_missing_file_is_file_not_found_and_deleting_it_is_no_error(storage):
    with pytest.raises(FileNotFoundError):
        storage.open(KEY)
    storage.delete(KEY)


def test_the_clean_up_sees_only_the_modules_files_under_its_prefix(storage):
    storage.save(KEY, io.BytesIO(b"ours"))
    others = storage.client
    others.put_object(Bucket=storage.bucket, Key="files/notes.txt", Body=b"not a key of ours")
    others.put_object(Bucket=storage.bucket, Key="elsewhere/" + KEY, Body=b"another prefix")
    assert [key for key, _ in storage.stored()] == [KEY]
    with storage.open(KEY) as stream:
        assert stream.read() == b"ours"


def test_a_name_that_is_not_a_key_never_reaches_the_bucket(storage):
    with pytest.raises(ValueError):
        storage.open("../../other-bucket/secret")


def test_the_configuration_chooses_the_bucket(database_url, marketplace, s3_endpoint, tmp_path):
    bucket = new_bucket(s3_endpoint)
    config = {
        "SUPPORT_ATTACHMENT_S3_BUCKET": bucket,
        "SUPPORT_ATTACHMENT_S3_ENDPOINT_URL": s3_endpoint,
        "SUPPORT_ATTACHMENT_ROOT": str(tmp_path / "unused"),
    }
    with host_app(database_url, marketplace, **config) as app:
        storage = app.extensions["marketplace_support"].storage
        assert isinstance(storage, S3Storage) and storage.bucket == bucket
    with host_app(database_url, marketplace, SUPPORT_ATTACHMENT_ROOT=str(tmp_path)) as app:
        assert isinstance(app.extensions["marketplace_support"].storage, FilesystemStorage)
