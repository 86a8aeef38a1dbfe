"""A review ("Granskad") is a change visitors see: the cached page is
purged, and its validators change, so that a conditional GET with the old
ones gets the page with "Senast granskad", not a 304. So is a contact's
review for the contacts' listing in the API."""

import pytest
from django.test import Client
from django.urls import reverse

from intl_pages.models import Contact, InternationalPage
from tests.builders import contacts_block, make_contact, make_page
from tests.intl_pages.admin_forms import make_user

from .support import cache, visit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def page(pagecache_on, transactional_db):
    kim = make_contact(name="Kim Exempelsson")
    return make_page(title="Vänorter", body=[contacts_block(kim)])


def test_granskad_purges_the_page_and_changes_its_validators(page):
    old = cache(page.url)
    assert "Senast granskad" not in old.content.decode()
    stamp = InternationalPage.objects.get(pk=page.pk).last_updated_at

    admin = Client()
    admin.force_login(make_user("admin", superuser=True))
    response = admin.post(reverse("intl_pages_review", args=["page", page.pk]))
    assert response.status_code == 302

    fresh = visit(page.url)
    assert fresh["X-Page-Cache"] == "miss"
    assert "Senast granskad:" in fresh.content.decode()
    assert fresh["ETag"] != old["ETag"]
    # "Senast uppdaterad" stayed.
    assert InternationalPage.objects.get(pk=page.pk).last_updated_at == stamp

    # A client that kept the old validators gets the new page, not a 304.
    conditional = Client().get(
        page.url, HTTP_IF_NONE_MATCH=old["ETag"], HTTP_IF_MODIFIED_SINCE=old["Last-Modified"]
    )
    assert conditional.status_code == 200
    assert "Senast granskad:" in conditional.content.decode()
    # With the new ones, a 304.
    again = Client().get(page.url, HTTP_IF_NONE_MATCH=fresh["ETag"])
    assert again.status_code == 304


def test_a_contacts_review_purges_the_contacts_listing(page):
    old = cache("/api/v3/contacts/")
    assert old.json()["items"][0]["last_reviewed_at"] is None
    admin = Client()
    admin.force_login(make_user("admin", superuser=True))
    kim = Contact.objects.get(name="Kim Exempelsson")
    admin.post(reverse("intl_pages_review", args=["contact", kim.pk]))
    fresh = visit("/api/v3/contacts/")
    assert fresh["X-Page-Cache"] == "miss"
    assert fresh.json()["items"][0]["last_reviewed_at"]
