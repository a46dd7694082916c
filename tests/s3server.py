"""A real S3-compatible HTTP server on loopback for the tests: moto's server mode, in a process
of its own (so what it keeps in memory is not counted as ours), started once a run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3

from .mailserver import free_port

#: what the server takes as credentials (it checks none); set for boto3's usual places
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "marketplace-support-tests",
    "AWS_SECRET_ACCESS_KEY": "marketplace-support-tests",
    "AWS_DEFAULT_REGION": "eu-north-1",
}


@contextmanager
def s3_server() -> Iterator[str]:
    """Start the server; yields its endpoint URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_for(endpoint, process)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


def client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
    )


def new_bucket(endpoint: str) -> str:
    """A bucket no other test uses."""
    name = f"support-{uuid.uuid4().hex[:20]}"
    client(endpoint).create_bucket(
        Bucket=name,
        CreateBucketConfiguration={"LocationConstraint": CREDENTIALS["AWS_DEFAULT_REGION"]},
    )
    return name


def _wait_for(endpoint: str, process: subprocess.Popen[bytes]) -> None:
    probe = client(endpoint)
    deadline = time.monotonic() + 30
    while True:
        try:
            probe.list_buckets()
            return
        except Exception:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the S3 test server did not start on {endpoint}") from None
            time.sleep(0.1)


@contextmanager
def credentials_in_environment() -> Iterator[None]:
    """boto3's usual place for credentials, as a deployment would set them."""
    before = {name: os.environ.get(name) for name in CREDENTIALS}
    os.environ.update(CREDENTIALS)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
