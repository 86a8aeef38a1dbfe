"""A release's preview: each page as it will be once the release is applied.

A page of the release is rendered from its pinned revision; every contact of
the release is shown from its pinned revision (or not at all, when the
release unpublishes it) instead of its published row, on the release's pages
and on the pages outside it that show the contact. The block that shows
contacts reads them through `intl_pages.blocks.showing_contacts`, set here
for the length of a render only.
"""

from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from wagtail.models import Page

from intl_pages.blocks import showing_contacts
from intl_pages.models import Contact
from intl_pages.stamps import pages_showing

from .models import ItemAction


@dataclass(frozen=True)
class PreviewPage:
    page: Page  # as it will be: the pinned revision, or the live page
    in_release: bool  # False: outside the release, showing one of its contacts


def _items(release, model):
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
    return [
        item
        for item in release.items.select_related("revision")
        if item.content_type_id == content_type.pk
    ]


def pending_contacts(release):
    """{contact pk: the contact as the release will publish it, or None
    when the release unpublishes it}."""
    shown = {}
    for item in _items(release, Contact):
        if item.action == ItemAction.UNPUBLISH:
            shown[int(item.object_id)] = None
        elif item.revision is not None:
            contact = item.revision.as_object()
            contact.live = True  # what the release's publish will make it
            shown[int(item.object_id)] = contact
    return shown


def pages(release):
    """The pages to preview, in title order: those the release publishes,
    as their pinned revisions; then the live pages outside it that show one
    of its contacts."""
    in_release = []
    taken = set()
    for item in _items(release, Page):
        taken.add(int(item.object_id))
        if item.action == ItemAction.PUBLISH and item.revision is not None:
            page = item.revision.as_object()
            page.live = True
            in_release.append(PreviewPage(page=page, in_release=True))
    outside = {}
    for contact_id in pending_contacts(release):
        for page in pages_showing(contact_id):
            if page.pk not in taken:
                outside[page.pk] = PreviewPage(page=page, in_release=False)
    by_title = sorted(in_release, key=lambda entry: entry.page.title)
    return by_title + sorted(outside.values(), key=lambda entry: entry.page.title)


def page_of(release, page_id):
    """The page `page_id` as the release's preview shows it, or None when
    the release neither publishes it nor changes a contact it shows."""
    for entry in pages(release):
        if entry.page.pk == page_id:
            return entry
    return None


@contextmanager
def as_released(release):
    """Render pages, inside, with the release's contacts."""
    with showing_contacts(pending_contacts(release)):
        yield


def render(release, page, request):
    """The page's response as the release will make it, rendered by its own
    template and marked as a preview; kept by no cache."""
    with as_released(release):
        response = page.make_preview_request(
            request, page.default_preview_mode, extra_request_attrs={"release_preview": release}
        )
    response["Cache-Control"] = "private, no-store"
    return response
