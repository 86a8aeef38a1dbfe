"""A release that holds both language versions of a page: they go live at
the same instant, each with its own stamp."""

import pytest

from intl_pages.models import InternationalPage, PageUpdateStamp
from releases import actions

from .support import draft_of, scheduled_release


@pytest.mark.django_db
def test_both_language_versions_go_live_together(demo_page, admin):
    english = InternationalPage.objects.get(locale__language_code="en")
    draft_of(demo_page, title="Internationella samarbeten 2027")
    draft_of(english, title="International cooperation 2027")
    release = scheduled_release(
        admin,
        InternationalPage.objects.get(pk=demo_page.pk),
        InternationalPage.objects.get(pk=english.pk),
    )

    assert actions.apply_release(release.pk, actions.as_iso(release.go_live_at)) == (
        actions.Outcome(actions.PUBLISHED)
    )

    swedish, english = (
        InternationalPage.objects.get(pk=demo_page.pk),
        InternationalPage.objects.get(pk=english.pk),
    )
    assert (swedish.title, english.title) == (
        "Internationella samarbeten 2027",
        "International cooperation 2027",
    )
    assert swedish.last_published_at == english.last_published_at == release.go_live_at
    stamps = PageUpdateStamp.objects.filter(page_id__in=[swedish.pk, english.pk])
    assert {stamp.updated_at for stamp in stamps} == {release.go_live_at}
    assert english.owner_email == swedish.owner_email
