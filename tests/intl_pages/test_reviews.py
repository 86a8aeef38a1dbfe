"""Review dates (R23, R26): a default interval per type, changed per object
by a moderator only; "Granskad" for whoever may publish, with no revision
and "Senast uppdaterad" unmoved; "Senast granskad" on the page, in the API,
and the report "Att granska"."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry, PageLogEntry

from intl_pages import reviews
from intl_pages.models import AccessibilityStatementPage, Contact, InternationalPage, Review
from tests.builders import contacts_block, make_contact, make_page, make_statement

from . import admin_forms

editor = admin_forms.editor
moderator = admin_forms.moderator
superuser = admin_forms.superuser

LONG_AGO = datetime(2020, 1, 1, 9, 0, tzinfo=UTC)


def review_url(obj):
    return reverse("intl_pages_review", args=[reviews.kind_of(obj), obj.pk])


def make_due(obj):
    """Published long ago, never reviewed: due."""
    type(obj).objects.filter(pk=obj.pk).update(first_published_at=LONG_AGO)
    obj.refresh_from_db()
    return obj


@pytest.fixture
def page(db):
    return make_page(title="Vänorter", owner_email="naringsliv@example.org")


@pytest.fixture
def publisher(db):
    """May publish pages and contacts, not change review intervals."""
    from django.contrib.auth.models import Group
    from wagtail.models import GroupPagePermission, Page

    group = Group.objects.create(name="Utgivare")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    for codename in ("add_contact", "change_contact", "publish_contact"):
        group.permissions.add(Permission.objects.get(codename=codename))
    for codename in ("add_page", "change_page", "publish_page"):
        GroupPagePermission.objects.create(
            group=group,
            page=Page.get_first_root_node(),
            permission=Permission.objects.get(codename=codename),
        )
    user = admin_forms.make_user("utgivare", "Editors")
    user.groups.set([group])
    return user


def test_each_type_has_its_default_interval_and_due_date(page):
    assert InternationalPage.review_interval_days == 365
    assert AccessibilityStatementPage.review_interval_days == 365
    assert Contact.review_interval_days == 180
    assert page.last_reviewed_at is None
    assert page.review_due_at == page.first_published_at + timedelta(days=365)
    kim = make_contact()
    assert kim.review_due_at == kim.first_published_at + timedelta(days=180)
    assert make_contact(name="Sam Utkast", live=False).review_due_at is None


def test_the_interval_permission_belongs_to_moderators_only(db):
    permission = Permission.objects.get(
        content_type__app_label="intl_pages", codename="change_review_interval"
    )
    assert list(permission.group_set.values_list("name", flat=True)) == ["Moderators"]


def test_a_moderator_changes_the_interval_a_publisher_cannot(client, page, publisher, moderator):
    client.force_login(publisher)
    # Who may publish reviews, without the field.
    response = client.get(review_url(page))
    assert response.status_code == 200
    assert b'name="interval_days"' not in response.content
    client.post(review_url(page), {"interval_days": "30"})
    assert Review.objects.get(page=page).interval_days is None

    client.force_login(moderator)
    assert b'name="interval_days"' in client.get(review_url(page)).content
    response = client.post(review_url(page), {"interval_days": "0"})
    assert response.status_code == 400
    assert "Ange minst 1 dag." in response.content.decode()
    client.post(review_url(page), {"interval_days": "30"})
    page = InternationalPage.objects.get(pk=page.pk)
    assert page.review_interval == 30
    assert page.review_due_at == page.last_reviewed_at + timedelta(days=30)
    # Empty: back to the type's default.
    client.post(review_url(page), {"interval_days": ""})
    assert InternationalPage.objects.get(pk=page.pk).review_interval == 365


def test_granskad_records_who_and_when_without_a_revision_or_a_new_stamp(client, page, publisher):
    editor = publisher
    stamp = page.last_updated_at
    revisions = page.revisions.count()
    latest = page.latest_revision_id
    client.force_login(editor)
    before = timezone.now()
    response = client.post(review_url(page), {"next": page.url})
    assert response.status_code == 302
    page = InternationalPage.objects.get(pk=page.pk)
    review = Review.objects.get(page=page)
    assert review.last_reviewed_by == editor
    assert review.last_reviewed_at >= before
    assert page.last_reviewed_at == review.last_reviewed_at
    assert page.revisions.count() == revisions
    assert page.latest_revision_id == latest
    assert page.last_updated_at == stamp
    assert not page.has_unpublished_changes
    log = PageLogEntry.objects.filter(page=page, action="intl_pages.reviewed").get()
    assert log.user == editor
    # It is named in the page's history.
    client.force_login(editor)
    history = client.get(reverse("wagtailadmin_pages:history", args=[page.pk]))
    assert "Markerad som granskad" in history.content.decode()


def test_a_later_publish_does_not_write_an_old_review_back(client, page, moderator):
    client.force_login(moderator)
    client.post(review_url(page))
    reviewed_at = Review.objects.get(page=page).last_reviewed_at
    page.save_revision().publish()
    assert InternationalPage.objects.get(pk=page.pk).last_reviewed_at == reviewed_at


def test_who_may_not_publish_gets_403_and_nothing_is_recorded(client, page, editor):
    # Wagtail's Editors edit pages but do not publish them.
    assert page.permissions_for_user(editor).can_edit()
    client.force_login(editor)
    assert client.get(review_url(page)).status_code == 403
    response = client.post(review_url(page))
    assert response.status_code == 403
    assert "behörighet att publicera" in response.content.decode()
    # Nor do they see the action in the page's header.
    edit = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk])).content.decode()
    assert review_url(page) not in edit
    contact = make_contact()
    Permission.objects.get(codename="publish_contact").group_set.clear()
    assert client.post(review_url(contact)).status_code == 403
    assert not Review.objects.exists()


def test_the_post_needs_the_csrf_token(page, moderator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    assert client.post(review_url(page)).status_code == 403
    assert not Review.objects.exists()
    form = client.get(review_url(page)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    assert client.post(review_url(page), {"csrfmiddlewaretoken": token}).status_code == 302
    assert Review.objects.filter(page=page).exists()


def test_a_contact_is_reviewed_by_who_may_publish_contacts(client, editor):
    kim = make_contact()
    client.force_login(editor)  # Editors may publish contacts (migration 0004)
    assert client.post(review_url(kim)).status_code == 302
    kim = Contact.objects.get(pk=kim.pk)
    assert kim.last_reviewed_at is not None
    assert kim.revisions.count() == 1
    assert ModelLogEntry.objects.filter(object_id=str(kim.pk), action=reviews.LOG_ACTION).exists()
    listing = client.get(reverse(Contact.snippet_viewset.get_url_name("list")))
    assert review_url(kim) in listing.content.decode()


def test_an_unknown_object_is_a_404(client, editor):
    client.force_login(editor)
    assert client.get(reverse("intl_pages_review", args=["page", 999999])).status_code == 404
    assert client.get(reverse("intl_pages_review", args=["town", 1])).status_code == 404


def test_the_page_shows_senast_granskad_in_a_time_element(client, page, moderator):
    assert "Senast granskad" not in Client().get(page.url).content.decode()
    client.force_login(moderator)
    client.post(review_url(page))
    reviewed_at = Review.objects.get(page=page).last_reviewed_at
    html = Client().get(page.url).content.decode()
    local = timezone.localtime(reviewed_at)
    assert re.search(
        r"<dt>Senast granskad:</dt>\s*<dd><time datetime=\"" + re.escape(local.isoformat()) + '"',
        html,
    ), html
    # The header's "more" menu on the edit view links to the action.
    edit = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk])).content.decode()
    assert review_url(page) in edit


def test_the_statement_shows_senast_granskad_too(client, superuser):
    statement = make_statement()
    client.force_login(superuser)
    client.post(review_url(statement))
    assert "Senast granskad:" in Client().get(statement.url).content.decode()


def test_the_api_serves_the_review_dates_in_utc(client, page, moderator):
    data = Client().get(f"/api/v3/pages/{page.pk}/").json()
    assert data["last_reviewed_at"] is None
    due = datetime.fromisoformat(data["review_due_at"].replace("Z", "+00:00"))
    # Served to the millisecond.
    assert abs(due - (page.first_published_at + timedelta(days=365))) < timedelta(milliseconds=1)
    assert due.utcoffset() == timedelta(0)

    client.force_login(moderator)
    client.post(review_url(page))
    data = Client().get(f"/api/v3/pages/{page.pk}/").json()
    reviewed = datetime.fromisoformat(data["last_reviewed_at"].replace("Z", "+00:00"))
    assert abs(reviewed - Review.objects.get(page=page).last_reviewed_at) < timedelta(
        milliseconds=1
    )
    assert reviewed.utcoffset() == timedelta(0)

    kim = make_contact()
    contacts = Client().get("/api/v3/contacts/").json()["items"]
    assert contacts[0]["last_reviewed_at"] is None
    assert contacts[0]["review_due_at"]
    client.post(review_url(kim))
    contacts = Client().get("/api/v3/contacts/").json()["items"]
    assert contacts[0]["last_reviewed_at"].endswith("Z")
    assert contacts[0]["review_due_at"].endswith("Z")
    assert data["review_due_at"].endswith("Z") and data["last_reviewed_at"].endswith("Z")

    document = Client().get("/api/v3/openapi.json").json()
    text = str(document)
    assert "last_reviewed_at" in text and "review_due_at" in text
    schemas = document["components"]["schemas"]
    contact_schema = next(s for name, s in schemas.items() if name.startswith("ContactOut"))
    assert "review_due_at" in contact_schema["properties"]


def test_the_report_lists_what_is_due_oldest_first_for_who_may_edit(client, superuser):
    kim = make_due(make_contact(name="Kim Exempelsson"))
    old = make_due(
        make_page(title="Gammal", owner_email="a@example.org", body=[contacts_block(kim)])
    )
    make_page(title="Ny", owner_email="b@example.org")
    InternationalPage.objects.filter(pk=old.pk).update(
        first_published_at=LONG_AGO - timedelta(days=400)
    )
    client.force_login(superuser)
    html = client.get(reverse("intl_pages_reviews_report")).content.decode()
    assert "Gammal" in html and "Kim Exempelsson" in html
    assert "Ny<" not in html
    assert html.index("Gammal") < html.index("Kim Exempelsson")
    assert "a@example.org" in html
    assert review_url(kim) in html
    # Reviewed: gone from the report.
    client.post(review_url(kim))
    html = client.get(reverse("intl_pages_reviews_report")).content.decode()
    assert review_url(kim) not in html
    assert review_url(old) in html
    # The Rapporter menu has it.
    assert (
        reverse("intl_pages_reviews_report")
        in client.get(reverse("wagtailadmin_home")).content.decode()
    )


def test_the_report_shows_only_what_the_user_may_edit(client, db):
    make_due(make_page(title="Gammal"))
    from tests.intl_pages.admin_forms import make_user

    user = make_user("utan", "Editors")
    user.groups.clear()
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    response = client.get(reverse("intl_pages_reviews_report"))
    assert response.status_code == 200
    assert "Gammal" not in response.content.decode()


def test_due_objects_costs_the_same_queries_for_one_page_and_many(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    kim = make_due(make_contact())
    make_due(make_page(title="Sida 0", body=[contacts_block(kim)]))
    with CaptureQueriesContext(connection) as one:
        assert len(reviews.reminders_by_owner()) == 1
    for n in range(1, 8):
        make_due(make_page(title=f"Sida {n}", owner_email=f"o{n}@example.org"))
    with CaptureQueriesContext(connection) as many:
        assert len(reviews.reminders_by_owner()) == 8
    assert len(many) == len(one)


def test_the_demo_content_is_reviewed_as_published_and_not_due(demo_page):
    from intl_pages.demo import load_demo

    assert demo_page.last_reviewed_at == demo_page.first_published_at
    assert not reviews.due_objects()
    for contact in Contact.objects.all():
        assert contact.last_reviewed_at == contact.first_published_at
    # A second load changes nothing.
    reviews_before = list(Review.objects.values_list("pk", "last_reviewed_at"))
    load_demo()
    assert list(Review.objects.values_list("pk", "last_reviewed_at")) == reviews_before


def test_the_report_costs_the_same_queries_for_one_due_page_and_many(client, moderator):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_due(make_page(title="Sida 0"))
    client.force_login(moderator)
    url = reverse("intl_pages_reviews_report")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(1, 6):
        make_due(make_page(title=f"Sida {n}"))
    with CaptureQueriesContext(connection) as many:
        html = client.get(url).content.decode()
    assert "Sida 5" in html
    assert len(many) == len(one)
