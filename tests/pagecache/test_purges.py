"""Every kind of change is followed by a purge and a fresh response, made
by the process that commits it: the web process of an editor's publish in
the admin, a worker's scheduled go-live, a script outside any request; and
the purge reaches another web process within a second."""

import time
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intl_pages.models import Contact, InternationalPage
from tasks.scheduling import PUBLISHED, as_iso, publish_scheduled_revision
from tests.builders import contacts_block, make_contact, make_page, twin_town
from tests.intl_pages.admin_forms import contact_data, edit_form_data, make_user

from .conftest import free_port
from .support import PUBLISH, WebServer, cache, shell, visit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def page(pagecache_on, transactional_db):
    kim = make_contact(name="Kim Exempelsson", phone="0510-77 00 00")
    return make_page(title="Vänorter", body=[twin_town(city="Kecskemét"), contacts_block(kim)])


def kim():
    return Contact.objects.get(name="Kim Exempelsson")


def fresh(url, *texts):
    """The page is rendered again (not from the cache) and shows `texts`."""
    response = visit(url)
    assert response.status_code == 200
    assert response["X-Page-Cache"] == "miss"
    body = response.content.decode()
    for text in texts:
        assert text in body, text
    return body


def test_an_editors_publish_in_the_admin_purges_the_page_and_the_home_page(page):
    cache(page.url), cache("/")
    admin = Client()
    admin.force_login(make_user("admin", superuser=True))
    page = InternationalPage.objects.get(pk=page.pk)
    data = edit_form_data(admin, page, title="Vänorter i världen", **PUBLISH)
    response = admin.post(reverse("wagtailadmin_pages:edit", args=[page.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    fresh(page.url, "Vänorter i världen")
    fresh("/", "Vänorter i världen")


def test_a_contacts_publish_in_the_admin_purges_the_pages_that_show_it(page):
    cache(page.url)
    admin = Client()
    admin.force_login(make_user("admin", superuser=True))
    response = admin.post(
        reverse("wagtailsnippets_intl_pages_contact:edit", args=[kim().pk]),
        {**contact_data(kim(), phone="0510-77 40 40"), **PUBLISH},
    )
    assert response.status_code == 302
    fresh(page.url, "0510-77 40 40")


def test_a_script_outside_any_request_purges(page):
    cache(page.url), cache("/")
    page = InternationalPage.objects.get(pk=page.pk)
    page.title = "Vänorter och partner"
    page.save_revision().publish()
    fresh(page.url, "Vänorter och partner")
    fresh("/", "Vänorter och partner")


def test_a_script_in_a_process_of_its_own_purges(page):
    cache(page.url)
    shell(
        "from intl_pages.models import InternationalPage\n"
        f"page = InternationalPage.objects.get(pk={page.pk})\n"
        "page.title = 'Vänorter från skalet'\n"
        "page.save_revision().publish()\n"
    )
    fresh(page.url, "Vänorter från skalet")


def test_unpublishing_purges(page):
    cache(page.url), cache("/")
    InternationalPage.objects.get(pk=page.pk).unpublish()
    assert visit(page.url).status_code == 404
    assert page.title not in fresh("/")


def test_a_page_made_private_is_no_longer_served_from_the_cache(page):
    from wagtail.models import PageViewRestriction

    api = f"/api/v3/pages/{page.pk}/"
    cache(page.url), cache(api), cache("/api/v3/twin-towns/")
    PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)

    assert visit(page.url).status_code in (302, 401, 403)
    assert visit(api).status_code == 404
    assert "Kecskemét" not in visit("/api/v3/twin-towns/").content.decode()


def test_a_contact_unpublished_by_a_script_purges(page):
    cache(page.url)
    kim().unpublish()
    assert "Kim Exempelsson" not in fresh(page.url)


def test_a_scheduled_go_live_in_the_worker_purges_and_no_404_outlives_it(page):
    news = make_page(title="Nyhet om vänorter", live=False)
    go_live_at = timezone.now() + timedelta(seconds=2)
    news.go_live_at = go_live_at
    revision = news.save_revision()
    revision.publish()  # scheduled: not live yet
    revision.refresh_from_db()
    assert revision.approved_go_live_at == go_live_at

    # Asked for before the time: a 404, twice, and the home page without it.
    for _ in range(2):
        response = visit(news.url)
        assert response.status_code == 404
        assert "X-Page-Cache" not in response
    assert news.title not in cache("/").content.decode()

    time.sleep(max(0.0, (go_live_at - timezone.now()).total_seconds()))
    # What the scheduling worker runs, in this process.
    assert publish_scheduled_revision(revision.pk, as_iso(go_live_at)).status == PUBLISHED
    fresh(news.url, news.title)
    fresh("/", news.title)


def test_an_expiry_by_the_schedule_purges(page):
    from changes.signals import by_schedule

    cache(page.url)
    with by_schedule():  # as tasks.scheduling's expiry does
        InternationalPage.objects.get(pk=page.pk).unpublish(
            log_action="wagtail.unpublish.scheduled"
        )
    assert visit(page.url).status_code == 404


def test_a_purge_reaches_another_web_process_within_a_second(page, tmp_path):
    server = WebServer(free_port(), tmp_path / "web.log").start()
    try:
        status, headers, body = server.get(page.url)
        assert status == 200 and headers["X-Page-Cache"] == "miss"
        status, headers, body = server.get(page.url)
        assert headers["X-Page-Cache"] == "hit", "the other process serves from its cache"

        page = InternationalPage.objects.get(pk=page.pk)
        page.title = "Vänorter i andra processen"
        page.save_revision().publish()
        purged_at = time.monotonic()
        while True:
            status, headers, body = server.get(page.url)
            if "Vänorter i andra processen" in body.decode():
                break
            assert time.monotonic() - purged_at < 1.0, "the purge did not reach the other process"
            time.sleep(0.02)
        assert time.monotonic() - purged_at < 1.0
    finally:
        server.stop()
