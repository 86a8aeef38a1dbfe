"""The outbox: a change's deliveries are written in the change's own
transaction (a rolled-back publish leaves none), their sending is queued
only when it commits, and the payload holds what is published, never a
draft, and matches the documented schema."""

import json

import jsonschema
import pytest
from django.db import transaction
from openapi_spec_validator import validate

from changes import signals as changes
from tests.tasks.support import PAGE_TITLE, PAGE_URL, fetch_contact, fetch_page
from webhooks import schema
from webhooks.models import RELEASE_KINDS, Delivery

from .conftest import make_endpoint


class Rollback(Exception):
    pass


def publish_title(page, title):
    page = fetch_page(page.pk)
    page.title = title
    page.save_revision().publish()


def test_the_delivery_is_written_in_the_publish_transaction(page_db, listener):
    make_endpoint(listener.url, events=[changes.PAGE_PUBLISHED])
    with pytest.raises(Rollback), transaction.atomic():
        publish_title(page_db, "Ny rubrik")
        assert Delivery.objects.count() == 1  # inside the change's transaction
        raise Rollback
    assert Delivery.objects.count() == 0

    publish_title(page_db, "Ny rubrik")
    assert Delivery.objects.get().event_type == changes.PAGE_PUBLISHED


def test_the_sending_is_queued_only_when_the_change_commits(
    page_db, listener, django_capture_on_commit_callbacks, monkeypatch
):
    from tasks import signal_handlers

    queued = []
    monkeypatch.setattr(signal_handlers, "send_or_keep", lambda task, args: queued.append(args))
    make_endpoint(listener.url, events=[changes.PAGE_PUBLISHED])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        publish_title(page_db, "Ny rubrik")
    assert queued == []
    for callback in callbacks:
        callback()
    assert queued == [[Delivery.objects.get().pk]]


def payload_of(row):
    return json.loads(row.payload)


def test_a_page_publish_carries_the_published_page(page_db, listener):
    make_endpoint(listener.url, events=[changes.PAGE_PUBLISHED])
    publish_title(page_db, "Ny rubrik")
    payload = payload_of(Delivery.objects.get())
    assert payload["type"] == "page.published"
    assert payload["data"]["pages"] == [
        {
            "id": page_db.pk,
            "title": "Ny rubrik",
            "path": PAGE_URL,
            "url": f"http://localhost{PAGE_URL}",
        }
    ]
    assert payload["timestamp"].endswith("Z") and payload["data"]["at"].endswith("Z")


def test_the_payload_holds_no_draft(page_db, listener):
    make_endpoint(listener.url, events=[changes.PAGE_UNPUBLISHED, changes.STAMP_MOVED])
    # A draft with a new title and address, not published.
    draft = fetch_page(page_db.pk)
    draft.title = "Hemligt utkast"
    draft.slug = "hemligt-utkast"
    draft.save_revision()

    changes.announce(changes.STAMP_MOVED, [page_db.pk])
    fetch_page(page_db.pk).unpublish()

    for row in Delivery.objects.order_by("pk"):
        (page,) = payload_of(row)["data"]["pages"]
        assert page["title"] == PAGE_TITLE and page["path"] == PAGE_URL, row.event_type
        assert "utkast" not in row.payload.lower()
    assert Delivery.objects.count() == 2


def test_a_contact_publish_names_the_contact_and_the_pages_that_show_it(content_tx, listener):
    make_endpoint(listener.url, events=[changes.CONTACT_PUBLISHED])
    kim = fetch_contact(content_tx.kim.pk)
    kim.phone = "0510-99 99 99"
    kim.save_revision().publish()

    payload = payload_of(Delivery.objects.get())
    assert payload["type"] == "contact.published"
    assert payload["data"]["contact_id"] == kim.pk
    assert [page["id"] for page in payload["data"]["pages"]] == [content_tx.page.pk]
    # The contact's details are the API's business, not the event's.
    assert "0510" not in json.dumps(payload)


def test_every_kind_has_a_documented_schema_that_its_payloads_match(db, listener):
    schemas = schema.payload_schemas()
    # A release's kinds are checked against a real release (tests/releases).
    assert set(schemas) == {*changes.KINDS, *RELEASE_KINDS}
    make_endpoint(listener.url)
    for kind in changes.KINDS:
        jsonschema.Draft202012Validator.check_schema(schemas[kind])
        contact = 3 if kind.startswith("contact.") else None
        changes.announce(kind, [], contact_id=contact)
        payload = payload_of(Delivery.objects.filter(event_type=kind).get())
        jsonschema.Draft202012Validator(schemas[kind]).validate(payload)
        for other in set(changes.KINDS) - {kind}:
            assert not jsonschema.Draft202012Validator(schemas[other]).is_valid(payload)
    for name, header in schema.headers().items():
        assert header["description"] and header["schema"]["type"] == "string", name


def test_every_field_of_the_schemas_is_documented():
    def walk(node, where):
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                assert sub.get("description"), f"{where}.{name}"
                walk(sub, f"{where}.{name}")
            if "items" in node:
                walk(node["items"], f"{where}[]")

    for kind, body in schema.payload_schemas().items():
        assert body["description"], kind
        walk(body, kind)


def test_the_webhooks_section_makes_a_valid_openapi_document():
    section = schema.openapi_webhooks()
    assert set(section) == {*changes.KINDS, *RELEASE_KINDS}
    validate({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "webhooks": section})
    post = section[changes.PAGE_PUBLISHED]["post"]
    assert {p["name"] for p in post["parameters"]} == {
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "webhook-sequence",
    }


def test_a_review_is_told_as_page_reviewed_and_contact_reviewed(page_db, listener):
    from intl_pages import reviews
    from intl_pages.models import Contact

    make_endpoint(listener.url, events=[changes.PAGE_REVIEWED, changes.CONTACT_REVIEWED])
    with pytest.raises(Rollback), transaction.atomic():
        reviews.mark_reviewed(fetch_page(page_db.pk), None)
        raise Rollback
    assert Delivery.objects.count() == 0

    reviews.mark_reviewed(fetch_page(page_db.pk), None)
    payload = payload_of(Delivery.objects.get())
    assert payload["type"] == "page.reviewed"
    assert [page["id"] for page in payload["data"]["pages"]] == [page_db.pk]

    kim = Contact.objects.first()
    reviews.mark_reviewed(kim, None)
    payload = payload_of(Delivery.objects.get(event_type=changes.CONTACT_REVIEWED))
    assert payload["data"] == {**payload["data"], "contact_id": kim.pk, "pages": []}
