"""Releases in Wagtail's admin: "Lägg till i utgåva" from the edit views of a
page and a contact, what those edit views say about a scheduled release and
its conflict, and the release's own views (list, create, schedule in
Swedish time, move, unschedule, cancel, add, remove, re-pin), their rights,
their Swedish errors and their 4xx answers to bad input."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import Revision

from intl_pages.models import Contact, InternationalPage
from releases import actions
from releases.models import ItemAction, Release, ReleaseItem, ReleaseState
from releases.times import both
from tests.builders import make_contact, make_page
from tests.intl_pages.admin_forms import (
    contact_data,
    contact_edit_url,
    edit_form_data,
    edit_url,
    make_user,
)
from tests.tasks.support import build_content

from .support import draft_of, draft_of_contact


def stored(revision):
    # As the views and the API have it: read back, its object_id a string.
    return Revision.objects.get(pk=revision.pk)


ADD = {"action-add-to-release": "Lägg till i utgåva"}
WINTER = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)  # 14.00 CET
SUMMER = datetime(2030, 6, 15, 12, 0, tzinfo=UTC)  # 14.00 CEST


@pytest.fixture
def content(db):
    return build_content()


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def detail_url(release):
    return reverse("releases_admin:detail", args=[release.pk])


def fetch(release):
    return Release.objects.get(pk=release.pk)


# Swedish time


def test_times_name_their_zone_and_utc_across_daylight_saving():
    assert both(WINTER) == "15 januari 2030 kl. 14.00 CET (13.00 UTC)"
    assert both(SUMMER) == "15 juni 2030 kl. 14.00 CEST (12.00 UTC)"
    # 00.30 in Stockholm is still the day before in UTC: the date is said.
    assert both(datetime(2030, 1, 14, 23, 30, tzinfo=UTC)) == (
        "15 januari 2030 kl. 00.30 CET (14 januari kl. 23.30 UTC)"
    )


# "Lägg till i utgåva" from the edit views


def test_a_page_is_saved_as_a_draft_and_added_to_a_chosen_release(admin_client, admin, content):
    release = actions.create_release("Nytt partnerskap", admin)
    page = content.page
    data = edit_form_data(admin_client, page, title="Vänorter och partnerskap")
    response = admin_client.post(edit_url(page), {**data, **ADD})
    assert response.status_code == 302, response.content.decode()[:2000]

    page = InternationalPage.objects.get(pk=page.pk)
    revision = page.latest_revision
    assert revision.content["title"] == "Vänorter och partnerskap"
    assert page.title != "Vänorter och partnerskap"  # saved as a draft, not published
    assert response["Location"] == reverse(
        "releases_admin:choose", args=["sida", page.pk, revision.pk]
    )

    chooser = admin_client.get(response["Location"])
    assert chooser.status_code == 200
    assert "Nytt partnerskap (utkast)" in chooser.content.decode()
    chosen = admin_client.post(response["Location"], {"release": release.pk})
    assert chosen.status_code == 302 and chosen["Location"] == detail_url(release)
    [item] = release.items.all()
    assert (item.object_id, item.revision_id, item.action) == (
        str(page.pk),
        revision.pk,
        ItemAction.PUBLISH,
    )


def test_a_contact_is_added_to_a_new_release_by_name(admin_client, content):
    kim = content.kim
    response = admin_client.post(
        contact_edit_url(kim), {**contact_data(kim, phone="0510-12 34 56"), **ADD}
    )
    assert response.status_code == 302
    kim = Contact.objects.get(pk=kim.pk)
    assert kim.phone != "0510-12 34 56"  # a draft
    assert response["Location"] == reverse(
        "releases_admin:choose", args=["kontakt", kim.pk, kim.latest_revision_id]
    )
    chosen = admin_client.post(response["Location"], {"new_name": "Ny kontakt"})
    release = Release.objects.get(name="Ny kontakt")
    assert chosen["Location"] == detail_url(release)
    assert release.items.get().revision.content["phone"] == "0510-12 34 56"


def test_the_chooser_refuses_no_choice_and_both_in_swedish(admin_client, content):
    url = reverse(
        "releases_admin:choose", args=["kontakt", content.kim.pk, content.kim.latest_revision_id]
    )
    for data in ({}, {"new_name": "Ny", "release": "999999"}, {"release": "x"}):
        response = admin_client.post(url, data)
        assert response.status_code == 400
        assert "Formuläret har fel" in response.content.decode()
    assert not Release.objects.exists()
    other = reverse("releases_admin:choose", args=["kontakt", content.kim.pk, 999999])
    assert admin_client.get(other).status_code == 404
    assert admin_client.get(reverse("releases_admin:choose", args=["bil", 1, 1])).status_code == 404


def test_the_edit_views_offer_the_action(admin_client, content):
    for url in (edit_url(content.page), contact_edit_url(content.kim)):
        html = admin_client.get(url).content.decode()
        assert 'name="action-add-to-release"' in html
        assert "Lägg till i utgåva" in html


# The edit views say so


def test_the_edit_views_say_which_scheduled_release_holds_the_object(admin_client, admin, content):
    release = actions.create_release("Nytt partnerskap", admin)
    actions.add_item(
        release, content.page, admin, revision=stored(draft_of(content.page, title="Ny"))
    )
    actions.add_item(release, content.kim, admin, revision=stored(draft_of_contact(content.kim)))
    actions.schedule_release(release, SUMMER, admin)

    for url in (edit_url(content.page), contact_edit_url(content.kim)):
        html = admin_client.get(url).content.decode()
        assert "Ingår i utgåvan ”Nytt partnerskap”, publiceras 15 juni 2030 kl. 14.00 CEST" in html
        assert "12.00 UTC" in html
        assert detail_url(release) in html

    # Published directly: the conflict shows at once, on both views.
    Contact.objects.get(pk=content.kim.pk).save_revision().publish()
    html = admin_client.get(contact_edit_url(content.kim)).content.decode()
    assert "står i konflikt" in html
    assert "har publicerats eller avpublicerats direkt efter att den lades till i utgåvan" in html
    detail = admin_client.get(detail_url(release)).content.decode()
    assert "1 ändring står i konflikt" in detail
    listing = admin_client.get(reverse("releases_admin:index")).content.decode()
    assert "1 i konflikt" in listing


# The release's own views


def test_the_list_shows_state_time_in_swedish_and_utc_and_counts(admin_client, admin, content):
    release = actions.create_release("Vinterutgåvan", admin)
    actions.add_item(release, content.page, admin)
    actions.schedule_release(release, WINTER, admin)
    actions.create_release("Ett utkast", admin)
    html = admin_client.get(reverse("releases_admin:index")).content.decode()
    assert "Vinterutgåvan" in html and "Schemalagd" in html
    assert "15 januari 2030 kl. 14.00 CET" in html and "13.00 UTC" in html
    assert "Ett utkast" in html and "Utkast" in html
    assert '"name": "utgavor"' in html and '"/admin/utgavor/"' in html  # the menu item


def test_create_a_release_and_refuse_an_empty_name(admin_client):
    refused = admin_client.post(reverse("releases_admin:create"), {"name": ""})
    assert refused.status_code == 400
    assert "Det här fältet är obligatoriskt" in refused.content.decode()
    created = admin_client.post(reverse("releases_admin:create"), {"name": "Vårens ändringar"})
    release = Release.objects.get(name="Vårens ändringar")
    assert created["Location"] == detail_url(release)
    assert release.state == ReleaseState.DRAFT


def test_schedule_in_swedish_time_move_unschedule_and_cancel(admin_client, admin, content):
    release = actions.create_release("Utgåvan", admin)
    actions.add_item(release, content.page, admin)
    html = admin_client.get(detail_url(release)).content.decode()
    assert "Svensk tid, CET/CEST" in html

    url = reverse("releases_admin:schedule", args=[release.pk])
    assert admin_client.post(url, {"go_live_at": "2030-01-15 14:00"}).status_code == 302
    assert fetch(release).go_live_at == WINTER
    assert fetch(release).state == ReleaseState.SCHEDULED
    assert admin_client.post(url, {"go_live_at": "2030-06-15 14:00"}).status_code == 302
    assert fetch(release).go_live_at == SUMMER

    assert ReleaseItem.objects.get().in_scheduled_release
    admin_client.post(reverse("releases_admin:unschedule", args=[release.pk]))
    assert fetch(release).state == ReleaseState.DRAFT and fetch(release).go_live_at is None
    assert not ReleaseItem.objects.get().in_scheduled_release

    admin_client.post(reverse("releases_admin:cancel", args=[release.pk]))
    assert fetch(release).state == ReleaseState.CANCELLED
    closed = admin_client.post(url, {"go_live_at": "2030-06-15 14:00"})
    assert closed.status_code == 409
    assert "Utgåvan är redan avbruten" in closed.content.decode()


def test_a_time_in_the_past_or_garbage_is_a_swedish_4xx(admin_client, admin, content):
    release = actions.create_release("Utgåvan", admin)
    url = reverse("releases_admin:schedule", args=[release.pk])
    past = admin_client.post(url, {"go_live_at": "2001-01-01 10:00"})
    assert past.status_code == 422
    assert "Tiden har redan passerat" in past.content.decode()
    for garbage in ("", "i morgon", "2030-13-45 99:99", "\x00", "2030-01-15 14:00" * 50):
        response = admin_client.post(url, {"go_live_at": garbage})
        assert response.status_code == 400, garbage
        assert "Formuläret har fel" in response.content.decode()
    # The hour that does not exist on the night clocks go forward.
    gap = admin_client.post(url, {"go_live_at": "2030-03-31 02:30"})
    assert gap.status_code == 400
    assert fetch(release).state == ReleaseState.DRAFT


def test_only_those_who_may_publish_every_item_may_schedule(client, admin, content):
    release = actions.create_release("Utgåvan", admin)
    actions.add_item(release, content.page, admin)
    actions.add_item(release, content.kim, admin)
    editor = make_user("redaktor", "Editors")  # may publish contacts, not pages
    client.force_login(editor)
    html = client.get(detail_url(release)).content.decode()
    assert "Du får inte publicera allt i utgåvan" in html
    response = client.post(
        reverse("releases_admin:schedule", args=[release.pk]), {"go_live_at": "2030-01-15 14:00"}
    )
    assert response.status_code == 403
    assert "Du får inte publicera sidan ”Vänorter och samarbeten”" in response.content.decode()
    assert fetch(release).state == ReleaseState.DRAFT

    # Nor take it back once someone who may has scheduled it.
    actions.schedule_release(release, WINTER, admin)
    for name in ("unschedule", "cancel"):
        refused = client.post(reverse(f"releases_admin:{name}", args=[release.pk]))
        assert refused.status_code == 403
        assert fetch(release).state == ReleaseState.SCHEDULED


def test_add_an_unpublish_remove_and_repin(admin_client, admin, content):
    release = actions.create_release("Utgåvan", admin)
    add = reverse("releases_admin:add", args=[release.pk])
    response = admin_client.post(add, {"page": content.page.pk, "action": "unpublish"})
    assert response.status_code == 302
    item = release.items.get()
    assert item.action == ItemAction.UNPUBLISH and item.revision is None

    response = admin_client.post(add, {"contact": content.kim.pk, "action": "publish"})
    kim_item = release.items.get(object_id=str(content.kim.pk))
    assert kim_item.revision_id == content.kim.latest_revision_id

    newer = draft_of_contact(content.kim, phone="0510-11 11 11")
    assert "Det finns en nyare version" in admin_client.get(detail_url(release)).content.decode()
    admin_client.post(reverse("releases_admin:repin", args=[release.pk, kim_item.pk]))
    assert release.items.get(pk=kim_item.pk).revision_id == newer.pk

    admin_client.post(reverse("releases_admin:remove", args=[release.pk, item.pk]))
    assert list(release.items.values_list("pk", flat=True)) == [kim_item.pk]
    gone = admin_client.post(reverse("releases_admin:remove", args=[release.pk, item.pk]))
    assert gone.status_code == 404


def test_adding_refuses_in_swedish(admin_client, admin, content):
    release = actions.create_release("Utgåvan", admin)
    add = reverse("releases_admin:add", args=[release.pk])
    both_ = admin_client.post(add, {"page": content.page.pk, "contact": content.kim.pk})
    assert both_.status_code == 400
    assert "Välj antingen en sida eller en kontaktperson" in both_.content.decode()
    sam = make_contact("Sam Provsson", live=False)
    refused = admin_client.post(add, {"contact": sam.pk, "action": "unpublish"})
    assert refused.status_code == 422
    assert "är inte publicerad och kan inte avpubliceras" in refused.content.decode()


def test_garbage_is_never_a_5xx(admin_client, admin, content):
    release = actions.create_release("Utgåvan", admin)
    actions.add_item(release, content.page, admin)
    garbage = [
        {},
        {"page": "abc", "contact": "-1", "action": "radera"},
        {"go_live_at": ["a", "b"], "name": "x" * 5000},
        {"page": "99999999999999999999", "action": "publish"},
        {"contact": "99999999999999999999999", "release": "99999999999999999999"},
        {"release": "<script>", "new_name": "\x00"},
    ]
    urls = [
        reverse("releases_admin:create"),
        reverse("releases_admin:add", args=[release.pk]),
        reverse("releases_admin:schedule", args=[release.pk]),
        reverse("releases_admin:remove", args=[release.pk, 999999]),
        reverse("releases_admin:repin", args=[release.pk, 999999]),
        reverse("releases_admin:unschedule", args=[999999]),
        reverse(
            "releases_admin:choose",
            args=["sida", content.page.pk, content.page.latest_revision_id],
        ),
        "/admin/utgavor/abc/",
        "/admin/utgavor/99999999999999999999/",
        "/admin/utgavor/lagg-till/sida/abc/1/",
        "/admin/utgavor/lagg-till/kontakt/99999999999999999999/1/",
        "/admin/utgavor/lagg-till/sida/1/99999999999999999999/",
    ]
    for url in urls:
        for data in garbage:
            response = admin_client.post(url, data)
            assert response.status_code < 500, (url, data, response.status_code)
    for url in urls:
        assert admin_client.get(url).status_code < 500, url


def test_the_views_need_a_csrf_token(admin, content):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    response = client.post(reverse("releases_admin:create"), {"name": "Utan token"})
    assert response.status_code == 403
    assert not Release.objects.exists()


def test_a_user_without_admin_access_gets_nothing(client, admin, content):
    release = actions.create_release("Hemlig utgåva", admin)
    visitor = get_user_model().objects.create_user("besokare", password="lösenord-123")
    client.force_login(visitor)
    for url in (
        reverse("releases_admin:index"),
        detail_url(release),
        reverse("releases_admin:preview", args=[release.pk, content.page.pk]),
    ):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert "Hemlig utgåva" not in response.content.decode()
    response = client.post(reverse("releases_admin:cancel", args=[release.pk]))
    assert response.status_code in (302, 403)
    assert fetch(release).state == ReleaseState.DRAFT


def test_an_incomplete_form_is_saved_as_a_draft_but_not_added(admin_client, admin, content):
    page = content.page
    data = edit_form_data(admin_client, page, introduction="")
    response = admin_client.post(edit_url(page), {**data, **ADD}, follow=True)
    html = response.content.decode()
    assert "Utkastet är sparat, men sidan ”Vänorter och samarbeten” kan inte läggas till" in html
    assert InternationalPage.objects.get(pk=page.pk).latest_revision.content["introduction"] == ""
    assert not ReleaseItem.objects.exists()


def test_the_release_view_reads_the_same_for_one_page_or_many(
    admin_client, admin, content, settings
):
    """One query per type of object, not one per item: the release's view,
    its preview list (with the front-end's links) and its rights read every
    item together."""
    settings.HEADLESS_PREVIEW_URLS = {"*": "https://front.example.org/preview"}

    def queries_for(count):
        release = actions.create_release(f"{count} sidor", admin)
        actions.add_item(release, content.kim, admin)
        for n in range(count):
            page = make_page(title=f"Sida {count}-{n}", slug=f"sida-{count}-{n}")
            actions.add_item(release, page, admin, revision=stored(draft_of(page, title=f"Ny {n}")))
        url = detail_url(release)
        admin_client.get(url)  # caches of the first request (site, content types) filled
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert html.count("Förhandsgranska ”") == count + 1
        assert html.count("/admin/headless/preview/utgava/") == count + 1
        return len(queries)

    assert queries_for(1) == queries_for(5)
