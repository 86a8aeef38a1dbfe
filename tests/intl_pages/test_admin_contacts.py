"""Contact people in the admin: editors create, publish, schedule and find
them; a page shows a contact's published details only, so a draft or a
scheduled change waits."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Revision

from intl_pages.models import Contact

from . import admin_forms
from .admin_forms import contact_data, contact_edit_url, contact_form

# The admin's users, as fixtures of this module.
contact_editors = admin_forms.contact_editors
editor = admin_forms.editor
editor_client = admin_forms.editor_client


def page_html(client, page):
    """The page as an anonymous visitor reads it."""
    client.logout()
    return client.get(page.url).content.decode()


@pytest.mark.usefixtures("contact_editors")
def test_editor_creates_and_publishes_a_contact(editor_client, editor):
    response = editor_client.post(
        reverse("wagtailsnippets_intl_pages_contact:add"),
        {**contact_form(), "action-publish": "action-publish"},
    )
    assert response.status_code == 302

    contact = Contact.objects.get(email="robin.pahittad@example.org")
    assert contact.live
    assert not contact.has_unpublished_changes
    assert contact.live_revision == contact.latest_revision
    assert contact.live_revision.user == editor
    assert (contact.name, contact.phone) == ("Robin Påhittad", "031-390 06 03")


@pytest.mark.usefixtures("contact_editors")
def test_a_contact_draft_is_not_shown_until_published(client, editor, demo_page):
    contact = Contact.objects.get(name="Kim Exempelsson")
    old_phone, new_phone = contact.phone, "031-390 06 09"
    assert old_phone in page_html(client, demo_page)

    client.force_login(editor)
    response = client.post(contact_edit_url(contact), contact_data(contact, phone=new_phone))
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.phone == old_phone
    assert contact.has_unpublished_changes
    assert contact.latest_revision.as_object().phone == new_phone
    html = page_html(client, demo_page)
    assert old_phone in html
    assert new_phone not in html

    client.force_login(editor)
    response = client.post(
        contact_edit_url(contact),
        {**contact_data(contact, phone=new_phone), "action-publish": "action-publish"},
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.phone == new_phone
    assert not contact.has_unpublished_changes
    html = page_html(client, demo_page)
    assert new_phone in html
    assert old_phone not in html


@pytest.mark.usefixtures("contact_editors")
def test_a_scheduled_contact_change_waits_for_its_time(client, editor, demo_page):
    contact = Contact.objects.get(name="Kim Exempelsson")
    old_phone, new_phone = contact.phone, "031-390 06 09"
    zone = ZoneInfo(settings.TIME_ZONE)
    day = timezone.localtime(timezone=zone).date() + timedelta(days=7)
    go_live_at = datetime.combine(day, time(12, 0), tzinfo=zone)

    client.force_login(editor)
    response = client.post(
        contact_edit_url(contact),
        {
            **contact_data(
                contact, phone=new_phone, go_live_at=go_live_at.strftime("%Y-%m-%d %H:%M")
            ),
            "action-publish": "action-publish",
        },
    )
    assert response.status_code == 302
    # Wagtail's own Swedish lacks this message; the project's catalogue has it.
    [message] = [str(m) for m in response.wsgi_request._messages]
    assert message.startswith(
        "Kontaktperson &#x27;Kim Exempelsson (Utvecklingsledare)&#x27; är publicerad och "
        "denna version har schemalagts för publicering."
    )

    revision = Revision.objects.get(approved_go_live_at__isnull=False)
    assert revision.approved_go_live_at == go_live_at
    assert revision.object_id == str(contact.pk)
    assert revision.user == editor
    assert revision.as_object().phone == new_phone
    contact.refresh_from_db()
    assert contact.scheduled_revision == revision
    assert contact.live
    assert contact.phone == old_phone
    html = page_html(client, demo_page)
    assert old_phone in html
    assert new_phone not in html


@pytest.mark.usefixtures("contact_editors")
def test_editor_finds_a_contact_by_searching(editor_client, demo_page):
    response = editor_client.get(
        reverse("wagtailsnippets_intl_pages_contact:list"), {"q": "Exempelsson"}
    )

    assert response.status_code == 200
    assert [str(contact) for contact in response.context["object_list"]] == [
        "Kim Exempelsson (Utvecklingsledare)"
    ]
    # A partial word, in other case, finds the contact too (autocomplete).
    response = editor_client.get(
        reverse("wagtailsnippets_intl_pages_contact:list"), {"q": "PÅHITT"}
    )
    assert response.status_code == 200
    assert [str(contact) for contact in response.context["object_list"]] == [
        "Alex Påhittad (Näringslivsutvecklare)"
    ]
