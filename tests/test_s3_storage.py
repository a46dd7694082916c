"""S3Storage against a real S3-compatible server on loopback: large files in bounded memory,
missing files, what the clean-up sees, and the configuration that chooses it."""

from __future__ import annotations

import io
import re
import tracemalloc
import urllib.request

import pytest

from marketplace_support.s3_storage import PART_BYTES, S3Storage
from marketplace_support.storage import FilesystemStorage

from .conftest import host_app, login
from .helpers import new_ticket_form, png, ticket_fields
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
        storage = app.extensions["marketplace_support"].storage.inner
        assert isinstance(storage, S3Storage) and storage.bucket == bucket
    with host_app(database_url, marketplace, SUPPORT_ATTACHMENT_ROOT=str(tmp_path)) as app:
        assert isinstance(app.extensions["marketplace_support"].storage.inner, FilesystemStorage)


@pytest.fixture
def presigned_app(database_url, marketplace, s3_endpoint, tmp_path):
    config = {
        "SUPPORT_ATTACHMENT_S3_BUCKET": new_bucket(s3_endpoint),
        "SUPPORT_ATTACHMENT_S3_ENDPOINT_URL": s3_endpoint,
        "SUPPORT_ATTACHMENT_PRESIGNED_SECONDS": 60,
        "SUPPORT_ATTACHMENT_ROOT": str(tmp_path / "unused"),
    }
    with host_app(database_url, marketplace, **config) as app:
        yield app


def test_a_download_can_come_from_the_bucket_itself_after_the_access_check(presigned_app):
    client = presigned_app.test_client()
    login(client, "alice")
    data = {**new_ticket_form(client), **ticket_fields()}
    data["attachments"] = [(io.BytesIO(b"error 502\n"), "Protokoll äö.txt")]
    data["attachments"].append((io.BytesIO(png()), "screen.png"))
    response = client.post("/support/new", data=data, content_type="multipart/form-data")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    text = re.search(r'<a href="([^"]+)">Protokoll', page).group(1)
    image = re.search(r'<a href="([^"]+)\?inline=1">screen.png', page).group(1)

    moved = client.get(text)
    assert moved.status_code == 302 and moved.headers["Cache-Control"] == "no-store"
    with urllib.request.urlopen(moved.headers["Location"]) as fetched:
        assert fetched.read() == b"error 502\n"
        disposition = fetched.headers["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert "filename*=UTF-8''Protokoll%20%C3%A4%C3%B6.txt" in disposition
        assert fetched.headers["Content-Type"].startswith("text/plain")

    shown = client.get(f"{image}?inline=1")  # an image shown on the page: checked and sent here
    assert shown.status_code == 200 and shown.data == png()

    login(client, "bob")  # another customer gets no address to the bucket
    assert client.get(text).status_code == 404


@pytest.mark.parametrize("seconds", [0, -5, 8 * 24 * 3600, "60", 1.5, True])
def test_a_presigned_lifetime_that_cannot_work_stops_the_app(database_url, marketplace, seconds):
    with (
        pytest.raises(RuntimeError, match="SUPPORT_ATTACHMENT_PRESIGNED_SECONDS"),
        host_app(database_url, marketplace, SUPPORT_ATTACHMENT_PRESIGNED_SECONDS=seconds),
    ):
        pass
