"""Files on tickets, replies and notes: who may download them, how they are served, what is
refused, and that nothing is left half-written."""

from __future__ import annotations

import io
import os
import pathlib
import re
import struct
import zlib
from datetime import timedelta

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import stream_encode_multipart

from marketplace_support import Flags, MarketplaceSupport, clock, tickets
from marketplace_support.s3_storage import S3Storage
from marketplace_support.storage import AttachmentStorage

from .conftest import host_app, login
from .helpers import (
    form_inputs,
    hidden_inputs,
    new_ticket_form,
    open_ticket,
    png,
    row_counts,
    ticket_fields,
    tickets_in_db,
    translated,
)
from .s3server import new_bucket
from .test_database_errors import NOTHING_SAVED, connection_lost, failing

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def send_ticket(client, files, **fields):
    data = {**new_ticket_form(client), **ticket_fields(**fields)}
    data["attachments"] = [(io.BytesIO(content), name) for name, content in files]
    response = client.post("/support/new", data=data, content_type="multipart/form-data")
    # werkzeug's test client keeps a large body in a temporary file, which it closes only
    # when it follows redirects
    response.request.input_stream.close()
    return response


def file_links(html: str) -> list[str]:
    """The address of each file named on the page (an image's name opens it in the browser)."""
    return re.findall(r'<a href="(/support/[^"]*/files/\d+)(?:\?inline=1)?">', html)


@pytest.fixture(params=["filesystem", "s3"])
def app(request, database_url, marketplace, tmp_path):
    """The test marketplace, with its files in a folder and (a second run of every test of this
    module) in a bucket of a real S3-compatible server."""
    config = {"SUPPORT_PAGE_SIZE": 5, "SUPPORT_ATTACHMENT_ROOT": str(tmp_path / "attachments")}
    if request.param == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        config.update(
            SUPPORT_ATTACHMENT_S3_BUCKET=new_bucket(endpoint),
            SUPPORT_ATTACHMENT_S3_PREFIX="attachments/",
            SUPPORT_ATTACHMENT_S3_ENDPOINT_URL=endpoint,
        )
    with host_app(database_url, marketplace, **config) as made:
        yield made


def stored_files(app) -> list[str]:
    """Every file the storage holds, finished or not: the files under its folder, or the
    objects of its bucket and the uploads still unfinished there."""
    storage = app.extensions["marketplace_support"].storage.inner
    if isinstance(storage, S3Storage):
        bucket = storage.client
        objects = bucket.list_objects_v2(Bucket=storage.bucket).get("Contents", [])
        unfinished = bucket.list_multipart_uploads(Bucket=storage.bucket).get("Uploads", [])
        return [item["Key"] for item in [*objects, *unfinished]]
    root = pathlib.Path(app.config["SUPPORT_ATTACHMENT_ROOT"])
    return [str(path) for path in root.rglob("*") if path.is_file()] if root.exists() else []


def storage_place(app) -> str:
    """Where the storage puts files: its folder, or its prefix in the bucket."""
    storage = app.extensions["marketplace_support"].storage.inner
    return storage.prefix if isinstance(storage, S3Storage) else str(storage.root)


@pytest.fixture
def ticket_with_screenshot(client):
    login(client, "alice")
    response = send_ticket(
        client, [("Bildschirmfoto äö.png", png()), ("log.txt", b"error 502 at 9:00\n")]
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].split("/tickets/")[1].split("?")[0])


def test_files_sent_with_a_new_ticket_are_listed_with_name_size_type_and_thumbnail(
    client, ticket_with_screenshot
):
    page = client.get(f"/support/tickets/{ticket_with_screenshot}").get_data(as_text=True)
    assert "Bildschirmfoto äö.png" in page and "PNG image" in page and "log.txt" in page
    assert "Text file" in page and "1 KB" in page
    assert re.search(r'<img class="ms-thumb" src="/support/tickets/\d+/files/\d+\?thumb=1"', page)


def test_the_provider_sees_and_downloads_the_customers_screenshot(client, ticket_with_screenshot):
    login(client, "pete")
    page = client.get(f"/support/provider/tickets/{ticket_with_screenshot}").get_data(as_text=True)
    link = file_links(page)[0]
    with client.get(link) as response:
        assert response.status_code == 200
        assert response.data == png()
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert "filename*=UTF-8''Bildschirmfoto%20%C3%A4%C3%B6.png" in disposition
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert response.headers["Content-Type"] == "image/png"


def test_a_thumbnail_is_inline_only_for_a_checked_image(client, ticket_with_screenshot):
    page = client.get(f"/support/tickets/{ticket_with_screenshot}").get_data(as_text=True)
    image, text = file_links(page)
    assert f'<a href="{image}?inline=1">' in page and f'<a href="{text}">' in page
    assert f'<a href="{image}" download>' in page and f'<a href="{text}" download>' not in page
    with client.get(f"{image}?inline=1") as inline:
        assert inline.headers["Content-Disposition"].startswith("inline;")
        assert inline.headers["X-Content-Type-Options"] == "nosniff"
    with client.get(f"{text}?inline=1") as download:
        assert download.headers["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize("other", ["bob", "quinn", "carol", "cora", "otto"])
def test_others_cannot_download_it(client, ticket_with_screenshot, other):
    page = client.get(f"/support/tickets/{ticket_with_screenshot}").get_data(as_text=True)
    link = file_links(page)[0]
    file_id = link.rsplit("/", 1)[1]
    login(client, other)
    for area in ("", "provider/", "operator/"):
        url = f"/support/{area}tickets/{ticket_with_screenshot}/files/{file_id}"
        assert client.get(url).status_code in (403, 404)
    assert client.get(link).status_code in (403, 404)


def test_nobody_logged_in_gets_no_file(client, ticket_with_screenshot):
    page = client.get(f"/support/tickets/{ticket_with_screenshot}").get_data(as_text=True)
    link = file_links(page)[0]
    with client.session_transaction() as session:  # log out
        session.clear()
    assert client.get(link).status_code == 401


def test_files_of_an_internal_note_never_reach_the_customer(app, client, ticket_with_screenshot):
    number = ticket_with_screenshot
    login(client, "pete")
    page = client.get(f"/support/provider/tickets/{number}").get_data(as_text=True)
    form = {
        "csrf_token": hidden_inputs(page)["csrf_token"],
        "submission_key": "note-with-file-000000001",
        "body": "Server log, for us only",
        "attachments": [(io.BytesIO(b"secret stack trace\n"), "internal.log")],
    }
    response = client.post(
        f"/support/provider/tickets/{number}/note", data=form, content_type="multipart/form-data"
    )
    assert response.status_code == 303
    staff_page = client.get(f"/support/provider/tickets/{number}").get_data(as_text=True)
    note_file = [link for link in file_links(staff_page)][-1]
    assert "internal.log" in staff_page
    login(client, "alice")
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert "internal.log" not in page
    file_id = note_file.rsplit("/", 1)[1]
    assert client.get(f"/support/tickets/{number}/files/{file_id}").status_code == 404


def test_a_reply_can_carry_files(client, ticket_with_screenshot):
    number = ticket_with_screenshot
    login(client, "pete")
    page = client.get(f"/support/provider/tickets/{number}").get_data(as_text=True)
    form = {
        "csrf_token": hidden_inputs(page)["csrf_token"],
        "submission_key": "reply-with-file-00000001",
        "body": "See the attached guide",
        "attachments": [(io.BytesIO(PDF), "guide.pdf")],
    }
    client.post(
        f"/support/provider/tickets/{number}/reply", data=form, content_type="multipart/form-data"
    )
    login(client, "alice")
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert "guide.pdf" in page and "PDF document" in page


def test_a_file_over_the_limit_names_the_limit_keeps_the_text_and_stores_nothing(
    app, client, marketplace
):
    marketplace.flags["t1"] = Flags(max_attachment_size=1000)
    login(client, "alice")
    big = png() + b"\x00" * (3000 - len(png()))
    response = send_ticket(client, [("big.png", big)], subject="Keep me")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "“big.png” is 3 KB; files can be at most 1 KB." in page
    assert 'value="Keep me"' in page
    assert "Kept from your last try" not in page  # a refused file is not kept
    assert row_counts(app)["support_ticket"] == 0 and stored_files(app) == []


def test_too_many_files_are_refused_with_the_limit(app, client, marketplace):
    marketplace.flags["t1"] = Flags(max_attachments=2)
    login(client, "alice")
    response = send_ticket(client, [(f"s{i}.png", png()) for i in range(3)])
    assert response.status_code == 422
    assert "Attach at most 2 files to one message." in response.get_data(as_text=True)
    assert stored_files(app) == []


def test_the_server_refuses_a_body_larger_than_the_limits_allow(app, client, marketplace):
    marketplace.flags["t1"] = Flags(max_attachment_size=1000, max_attachments=1)
    login(client, "alice")
    fields = {**new_ticket_form(client), **ticket_fields()}
    files = MultiDict({"attachments": FileStorage(io.BytesIO(b"x" * 3_000_000), "huge.txt")})
    # encoded in memory: the test client would spool it to a file it never closes
    body, length, boundary = stream_encode_multipart(
        MultiDict({**fields, **files}), use_tempfile=False
    )
    response = client.post(
        "/support/new",
        input_stream=body,
        content_length=length,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 413
    assert "What you sent is too large. Attach at most 1 file of at most 1 KB, then send" in (
        response.get_data(as_text=True)
    )
    assert row_counts(app)["support_ticket"] == 0 and stored_files(app) == []


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        (
            "drawing.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "“drawing.svg” is not a file type this marketplace takes (.png, .jpg",
        ),
        (
            "page.html",
            b"<html><script>alert(1)</script></html>",
            "“page.html” is not a file type this marketplace takes",
        ),
        # a name is not a type: content and name must agree, and the message says which failed
        (
            "fake.png",
            b"<html><script>alert(1)</script></html>",
            "The content of “fake.png” does not match its name (PNG image). Attach the original",
        ),
        (
            "picture.pdf",
            png(),
            "The content of “picture.pdf” does not match its name (PDF document).",
        ),
        # a kind the tenant did not allow
        ("archive.zip", b"PK\x03\x04rest", "“archive.zip” is not a file type this marketplace"),
        ("program.exe", b"MZ\x90\x00", "“program.exe” is not a file type this marketplace takes"),
    ],
)
def test_types_are_checked_by_content_and_name_against_the_allow_list(
    app, client, name, content, said
):
    login(client, "alice")
    response = send_ticket(client, [(name, content)])
    assert response.status_code == 422
    assert said in response.get_data(as_text=True)
    assert stored_files(app) == []


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\boot.txt", "boot.txt"),
        ("a\x00b\x07c.txt", "abc.txt"),
        ("zero\u200bwidth\u202eevil.txt", "zerowidthevil.txt"),
        ("x" * 300 + ".txt", "x" * 146 + ".txt"),
        ("<img src=x onerror=alert(1)>.txt", "<img src=x onerror=alert(1)>.txt"),
    ],
)
def test_strange_names_are_stored_safely_and_shown_escaped(app, client, sent, shown):
    login(client, "alice")
    response = send_ticket(client, [(sent, b"some log\n")])
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    escaped = shown.replace("<", "&lt;").replace(">", "&gt;")
    assert escaped in page and "<img src=x" not in page
    [path] = stored_files(app)
    name = path.rsplit("/", 1)[-1]
    assert path.startswith(storage_place(app)) and re.fullmatch(r"[0-9a-f]{32}", name)
    with client.get(file_links(page)[0]) as download:
        assert download.data == b"some log\n"


def test_attachments_switched_off_hide_the_input_and_refuse_a_crafted_upload(
    app, client, marketplace
):
    marketplace.flags["t1"] = Flags(attachments_enabled=False)
    login(client, "alice")
    assert 'type="file"' not in client.get("/support/new").get_data(as_text=True)
    response = send_ticket(client, [("s.png", png())])
    assert response.status_code == 422
    assert "This marketplace does not take attachments." in response.get_data(as_text=True)


def test_a_failed_commit_leaves_no_file_and_no_row(app, client, marketplace, monkeypatch):
    alice = marketplace.actors["alice"][1]
    with app.test_request_context():
        session = app.extensions["sqlalchemy"].session

        def broken_commit():
            raise RuntimeError("database went away")

        monkeypatch.setattr(session, "commit", broken_commit)
        form = {**ticket_fields(), "submission_key": "failing-commit-000001"}
        upload = tickets.attachments.Upload("s.png", io.BytesIO(png()))
        with pytest.raises(RuntimeError):
            tickets.open_ticket("t1", alice, form, [upload])
        monkeypatch.undo()
    assert stored_files(app) == []
    assert row_counts(app)["support_ticket"] == 0


def test_a_file_whose_row_never_came_is_cleaned_up(app, client, ticket_with_screenshot):
    storage = app.extensions["marketplace_support"].storage
    storage.save("0123456789abcdef0123456789abcdef", io.BytesIO(b"orphan"))
    runner = app.test_cli_runner()
    young = runner.invoke(args=["support", "clean-attachments"])
    assert "Removed 0 stored file(s)" in young.output  # it may belong to a running request
    old = runner.invoke(args=["support", "clean-attachments", "--older-than", "0"])
    assert "Removed 1 stored file(s)" in old.output
    assert len(stored_files(app)) == 2  # the ticket's two files stay
    page = client.get(f"/support/tickets/{ticket_with_screenshot}").get_data(as_text=True)
    with client.get(file_links(page)[0]) as download:
        assert download.status_code == 200


def test_sending_the_same_form_twice_stores_its_files_once(app, client):
    login(client, "alice")
    data = {**new_ticket_form(client), **ticket_fields()}
    for _ in range(2):
        form = {**data, "attachments": [(io.BytesIO(png()), "s.png")]}
        response = client.post("/support/new", data=form, content_type="multipart/form-data")
        assert response.status_code == 303
    assert len(tickets_in_db(app)) == 1 and len(stored_files(app)) == 1


def test_a_host_can_keep_files_in_its_own_storage(database_url, marketplace, tmp_path):
    class MemoryStorage(AttachmentStorage):
        def __init__(self):
            self.files = {}

        def save(self, key, stream):
            self.files[key] = stream.read()

        def open(self, key):
            return io.BytesIO(self.files[key])

        def delete(self, key):
            self.files.pop(key, None)

        def stored(self):
            return iter(())

    from flask import Flask
    from flask_babel import Babel
    from flask_sqlalchemy import SQLAlchemy

    from marketplace_support import SupportBase

    from .host import FakeHost, add_login_route

    memory = MemoryStorage()
    app = Flask("object_storage_host")
    app.config.update(SECRET_KEY="x", SQLALCHEMY_DATABASE_URI=database_url)
    db = SQLAlchemy(app)
    Babel(app)
    MarketplaceSupport(app, host=FakeHost(marketplace), storage=memory)
    add_login_route(app, marketplace)
    with app.app_context():
        if database_url.startswith("sqlite"):
            SupportBase.metadata.create_all(db.engine)
    try:
        client = app.test_client()
        login(client, "alice")
        response = send_ticket(client, [("s.png", png())])
        assert response.status_code == 303
        assert list(memory.files.values()) == [png()]
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        with client.get(file_links(page)[0]) as download:
            assert download.data == png()
        assert not (tmp_path / "attachments").exists()
    finally:
        with app.app_context():
            db.engine.dispose()


def test_a_ticket_page_costs_the_same_with_many_files(client, count_queries):
    login(client, "alice")
    few = send_ticket(client, [("a.png", png())]).headers["Location"]
    many = send_ticket(client, [(f"{i}.png", png()) for i in range(5)]).headers["Location"]
    counts = []
    for url in (few, many):
        with count_queries() as counter:
            client.get(url)
        counts.append(counter.count)
    # ticket (with whether the customer watches it, and whether it has files or shares),
    # messages, events, files (not the shares: there are none), and noting that the customer
    # has seen it
    assert counts[0] == counts[1] == 5


# -- a refused form keeps its files ---------------------------------------------------------------


def kept_ids(html: str) -> dict[str, str]:
    """The kept files a refused form lists: name → the id its "remove" box sends."""
    return {
        name: value
        for value, name in re.findall(
            r'name="drop_draft" value="(\d+)"[^>]*> Remove ([^<]+?) <', html
        )
    }


def test_a_refused_new_ticket_keeps_its_files_for_the_next_submit(app, client):
    login(client, "alice")
    form = new_ticket_form(client)
    data = {**form, **ticket_fields(subject="")}
    data["attachments"] = [(io.BytesIO(png()), "screen.png"), (io.BytesIO(PDF), "invoice.pdf")]
    refused = client.post("/support/new", data=data, content_type="multipart/form-data")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Kept from your last try, sent with the form:" in page
    assert set(kept_ids(page)) == {"screen.png", "invoice.pdf"}
    again = {**hidden_inputs(page), **ticket_fields(subject="Now with a subject")}
    response = client.post("/support/new", data=again)  # no file chosen again
    assert response.status_code == 303
    ticket = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "screen.png" in ticket and "invoice.pdf" in ticket
    assert row_counts(app)["support_attachment"] == 2
    assert len(stored_files(app)) == 2  # the kept copies went with the form


def test_a_kept_file_the_person_removes_is_not_sent(app, client):
    login(client, "alice")
    data = {**new_ticket_form(client), **ticket_fields(subject="")}
    data["attachments"] = [(io.BytesIO(png()), "screen.png"), (io.BytesIO(PDF), "old.pdf")]
    page = client.post("/support/new", data=data, content_type="multipart/form-data").get_data(
        as_text=True
    )
    again = {**hidden_inputs(page), **ticket_fields(), "drop_draft": kept_ids(page)["old.pdf"]}
    response = client.post("/support/new", data=again)
    assert response.status_code == 303
    ticket = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "screen.png" in ticket and "old.pdf" not in ticket
    assert len(stored_files(app)) == 1


def refused_with_a_file(client, page: str, action: str, filename: str, **fields: str) -> str:
    """The page a message form answers when sent from ``page`` to ``action`` with no text and
    one PDF named ``filename`` (refused: 422)."""
    shown = client.get(page).get_data(as_text=True)
    form = {
        "csrf_token": hidden_inputs(shown)["csrf_token"],
        "submission_key": f"kept-{filename.replace('.', '-')}-000000001",
        **fields,
        "body": "",
        "attachments": [(io.BytesIO(PDF), filename)],
    }
    refused = client.post(action, data=form, content_type="multipart/form-data")
    assert refused.status_code == 422
    return refused.get_data(as_text=True)


def test_a_refused_reply_keeps_its_files_and_the_next_send_carries_them(
    client, ticket_with_screenshot
):
    number = ticket_with_screenshot
    login(client, "pete")
    compose = f"/support/provider/tickets/{number}/compose"
    page = f"/support/provider/tickets/{number}"
    refused_page = refused_with_a_file(client, page, compose, "guide.pdf", kind="reply")
    assert set(kept_ids(refused_page)) == {"guide.pdf"}
    again = {
        **form_inputs(refused_page, "/compose"),
        "kind": "reply",
        "body": "See the attached guide",
    }
    response = client.post(compose, data=again)
    assert response.status_code == 303
    login(client, "alice")
    assert "guide.pdf" in client.get(f"/support/tickets/{number}").get_data(as_text=True)


def test_a_customer_s_refused_message_keeps_its_files_and_the_next_send_carries_them(
    client, ticket_with_screenshot
):
    number = ticket_with_screenshot
    login(client, "alice")
    reply = f"/support/tickets/{number}/reply"
    refused_page = refused_with_a_file(client, f"/support/tickets/{number}", reply, "invoice.pdf")
    assert "Kept from your last try, sent with the form:" in refused_page
    assert set(kept_ids(refused_page)) == {"invoice.pdf"}
    again = {**form_inputs(refused_page, "/reply"), "body": "The invoice that shows it"}
    assert client.post(reply, data=again).status_code == 303
    login(client, "pete")
    assert "invoice.pdf" in client.get(f"/support/provider/tickets/{number}").get_data(as_text=True)


def test_a_host_s_older_copy_of_the_ticket_page_still_lists_a_refused_message_s_files(
    app, client, ticket_with_screenshot, tmp_path
):
    """A host's copy of the customer ticket page written before the macros took the kept files
    as an argument: it imports them with its context and leaves the argument out."""
    ours = pathlib.Path(__file__).parents[1] / "marketplace_support/templates/marketplace_support"
    page = (ours / "customer/ticket.html").read_text()
    older = page.replace(", kept_files=kept)", ")").replace(
        '"marketplace_support/_macros.html" as m %}',
        '"marketplace_support/_macros.html" as m with context %}',
    )
    assert "kept_files" not in older and "as m with context" in older
    copy = tmp_path / "host_templates" / "marketplace_support" / "customer"
    copy.mkdir(parents=True)
    (copy / "ticket.html").write_text(older)
    app.jinja_loader.searchpath.insert(0, str(tmp_path / "host_templates"))
    app.jinja_env.cache.clear()
    number = ticket_with_screenshot
    refused_page = refused_with_a_file(
        client, f"/support/tickets/{number}", f"/support/tickets/{number}/reply", "invoice.pdf"
    )
    assert set(kept_ids(refused_page)) == {"invoice.pdf"}


def test_someone_elses_form_key_brings_none_of_their_kept_files(app, client):
    login(client, "alice")
    data = {**new_ticket_form(client), **ticket_fields(subject="")}
    data["attachments"] = [(io.BytesIO(png()), "alice-only.png")]
    page = client.post("/support/new", data=data, content_type="multipart/form-data").get_data(
        as_text=True
    )
    key = hidden_inputs(page)["submission_key"]
    login(client, "bob")
    bobs = {**new_ticket_form(client), **ticket_fields(order="o-bob"), "submission_key": key}
    response = client.post("/support/new", data=bobs)
    assert response.status_code == 303
    assert "alice-only.png" not in client.get(response.headers["Location"]).get_data(as_text=True)
    assert row_counts(app)["support_attachment"] == 0


def test_kept_files_nobody_came_back_for_are_cleaned_up(app, client):
    login(client, "alice")
    data = {**new_ticket_form(client), **ticket_fields(subject="")}
    data["attachments"] = [(io.BytesIO(png()), "screen.png")]
    client.post("/support/new", data=data, content_type="multipart/form-data")
    assert len(stored_files(app)) == 1
    runner = app.test_cli_runner()
    assert "Removed 0 kept file(s)" in runner.invoke(args=["support", "clean-attachments"]).output
    with clock.frozen_at(clock.now() + timedelta(hours=25)):
        result = runner.invoke(args=["support", "clean-attachments"])
    assert "Removed 1 kept file(s) of refused forms." in result.output
    assert stored_files(app) == []


# -- thumbnails ---------------------------------------------------------------------------------


def screenshot(width: int, height: int) -> bytes:
    """A large, real screenshot-like PNG whose bytes do not compress away (noise)."""
    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    written = io.BytesIO()
    image.save(written, "PNG")
    return written.getvalue()


def bomb() -> bytes:
    """A small PNG file that claims 20,000 by 20,000 pixels (400 million, past Pillow's limit)."""
    rows = zlib.compress(b"\x00" * 1000)
    header = struct.pack(">IIBBBBB", 20_000, 20_000, 1, 0, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def thumbnail_of(client, page: str, name: str):
    link = re.search(rf'<a href="([^"]+)\?inline=1">{re.escape(name)}</a>', page).group(1)
    assert f'src="{link}?thumb=1"' in page
    with client.get(f"{link}?thumb=1") as shown:
        assert shown.status_code == 200
        assert shown.headers["Content-Disposition"].startswith("inline;")
        return shown.data


def test_a_large_screenshot_is_shown_by_a_small_copy_made_once(app, client):
    login(client, "alice")
    original = screenshot(1200, 900)
    response = send_ticket(client, [("big.png", original), ("tiny.png", png())])
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    small = thumbnail_of(client, page, "big.png")
    with Image.open(io.BytesIO(small)) as picture:
        assert picture.format == "PNG" and max(picture.size) == 480
        assert picture.size == (480, 360)  # the same proportions
    assert len(small) < len(original) / 4
    assert thumbnail_of(client, page, "tiny.png") == png()  # a small image is its own
    assert len(stored_files(app)) == 3  # big.png, its copy, tiny.png


def test_an_image_pillow_will_not_open_is_stored_and_listed_without_a_copy(app, client):
    login(client, "alice")
    response = send_ticket(client, [("huge.png", bomb())])
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "huge.png" in page
    assert len(stored_files(app)) == 1


# -- a storage that fails ----------------------------------------------------------------------

STORED_NOTHING = (
    "Files cannot be stored right now, so nothing was saved. Please try again in a moment."
)


def storage_failing(app, monkeypatch, operation: str, error: Exception, *, after: int = 0):
    """The storage's ``operation`` raises ``error`` from its ``after``-th call on."""
    inner = app.extensions["marketplace_support"].storage.inner
    real, calls = getattr(inner, operation), []

    def failing(*args, **kwargs):
        calls.append(args)
        if len(calls) > after:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(inner, operation, failing)
    return calls


@pytest.mark.parametrize(
    "error",
    [OSError(28, "No space left on device"), PermissionError(13, "Permission denied")],
)
def test_a_full_disk_is_a_page_saying_nothing_was_saved_in_the_persons_language(
    app, client, monkeypatch, error
):
    app.config["TEST_LOCALE"] = "de"
    login(client, "alice")
    storage_failing(app, monkeypatch, "save", error, after=1)  # the second file's save fails
    response = send_ticket(client, [("a.png", png()), ("b.png", png())])
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert translated("de", STORED_NOTHING) in response.get_data(as_text=True)
    monkeypatch.undo()
    assert row_counts(app)["support_ticket"] == 0 and stored_files(app) == []


def test_a_storage_that_fails_answers_the_api_with_its_problem(app, client, monkeypatch):
    login(client, "alice")
    number = open_ticket(client)
    token = client.get("/support/api/v1/me").get_json()["csrf_token"]
    before = row_counts(app)
    storage_failing(app, monkeypatch, "save", OSError(28, "No space left on device"))
    response = client.post(
        f"/support/api/v1/my/tickets/{number}/messages",
        data={"body": "The log", "attachments": [(io.BytesIO(b"error\n"), "log.txt")]},
        headers={"X-CSRFToken": token, "Accept-Language": "de"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    problem = response.get_json()
    assert problem["type"].endswith("storage-unavailable")
    assert problem["detail"] == STORED_NOTHING  # the session's language: the host's (English)
    monkeypatch.undo()
    assert row_counts(app) == before


def test_a_file_the_storage_cannot_read_now_is_a_page_saying_so(
    app, client, monkeypatch, ticket_with_screenshot
):
    page = client.get(f"/support/tickets/{ticket_with_screenshot}").get_data(as_text=True)
    link = file_links(page)[0]
    storage_failing(app, monkeypatch, "open", OSError(5, "Input/output error"))
    response = client.get(link)
    assert response.status_code == 503
    assert "This file cannot be read right now. Please try again in a moment." in (
        response.get_data(as_text=True)
    )


def test_files_of_an_undone_change_are_deleted_even_when_one_delete_fails(app, client, monkeypatch):
    """The database fails after the files were stored; deleting the first fails too: the
    person reads the database's page (not a 500), and the second file is deleted still."""
    login(client, "alice")
    deletes = storage_failing(app, monkeypatch, "delete", OSError(5, "I/O error"), after=0)
    with failing(app, r"\s*INSERT INTO support_outbox", connection_lost):
        response = send_ticket(client, [("a.png", png()), ("b.png", png())])
    assert response.status_code == 503
    assert NOTHING_SAVED in response.get_data(as_text=True)
    monkeypatch.undo()
    tried = [args[0] for args in deletes]
    assert len(tried) >= 2  # each file (and thumbnail) was tried, not only the first
    left = stored_files(app)
    assert len(left) == len(tried)  # the storage kept what it refused to delete, no more
    assert row_counts(app)["support_ticket"] == 0


def test_a_sent_form_whose_kept_files_cannot_be_let_go_still_says_it_was_sent(
    app, client, monkeypatch
):
    """The ticket is committed when its kept files are let go: a failure then does not turn
    it into "nothing was saved" (the customer would send it again, and open it twice)."""
    login(client, "alice")
    refused = send_ticket(client, [("a.pdf", PDF)], subject="")
    assert refused.status_code == 422
    again = {**form_inputs(refused.get_data(as_text=True), "/new"), **ticket_fields()}
    with failing(app, r"\s*DELETE FROM support_draft_file", connection_lost):
        sent = client.post("/support/new", data=again)
    assert sent.status_code == 303
    assert row_counts(app)["support_ticket"] == 1
