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
from wagtail.models import Page, Revision

from intl_pages.blocks import showing_contacts
from intl_pages.models import Contact
from intl_pages.stamps import pages_showing

from .models import ItemAction


@dataclass(frozen=True)
class PreviewPage:
    """A page of the preview: `page` is its row as it is now; `revision`
    the one the release publishes (None for a page outside the release,
    which shows one of its contacts)."""

    page: Page
    title: str
    revision: Revision | None = None

    @property
    def in_release(self):
        return self.revision is not None

    def as_released(self):
        """The page as the release will make it (Wagtail builds a page from
        a revision with a few queries: one page at a time, for a render)."""
        if self.revision is None:
            return self.page
        page = self.revision.as_object()
        page.live = True
        return page


def objects_of(items):
    """{item pk: its object (a page as its own type), or None when it is
    gone}, in one query per type, not one per item."""
    by_type = {}
    for item in items:
        by_type.setdefault(item.content_type_id, []).append(item)
    objects = {}
    for content_type_id, group in by_type.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        found = model.objects.filter(pk__in=[item.object_id for item in group])
        if model is Page:
            found = found.specific()
        by_pk = {str(obj.pk): obj for obj in found}
        for item in group:
            objects[item.pk] = by_pk.get(item.object_id)
    return objects


def _items(release, model, loaded=None):
    """The release's items of `model`, their revisions read with the objects
    loaded once (`loaded`: (items, objects) when the caller has them)."""
    items, objects = loaded or _loaded(release)
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
    chosen = [item for item in items if item.content_type_id == content_type.pk]
    for item in chosen:
        revision = item.revision
        if revision is not None and revision.object_id == item.object_id and objects.get(item.pk):
            Revision.content_object.set_cached_value(item.revision, objects[item.pk])
    return chosen


def _loaded(release):
    items = list(release.items.select_related("content_type", "revision"))
    return items, objects_of(items)


def pending_contacts(release, loaded=None):
    """{contact pk: the contact as the release will publish it, or None
    when the release unpublishes it}."""
    shown = {}
    for item in _items(release, Contact, loaded):
        if item.action == ItemAction.UNPUBLISH:
            shown[int(item.object_id)] = None
        elif item.revision is not None:
            contact = item.revision.as_object()
            contact.live = True  # what the release's publish will make it
            shown[int(item.object_id)] = contact
    return shown


def pages(release, loaded=None):
    """The pages to preview, in title order: those the release publishes,
    as their pinned revisions; then the live pages outside it that show one
    of its contacts."""
    loaded = loaded or _loaded(release)
    objects = loaded[1]
    in_release = []
    taken = set()
    for item in _items(release, Page, loaded):
        taken.add(int(item.object_id))
        page = objects.get(item.pk)
        revision = item.revision
        if page is not None and item.action == ItemAction.PUBLISH and revision is not None:
            title = revision.content.get("title") or page.title
            in_release.append(PreviewPage(page=page, title=title, revision=revision))
    outside = {}
    for contact_id in pending_contacts(release, loaded):
        for page in pages_showing(contact_id):
            if page.pk not in taken:
                outside[page.pk] = PreviewPage(page=page, title=page.title)
    by_title = sorted(in_release, key=lambda entry: entry.title)
    return by_title + sorted(outside.values(), key=lambda entry: entry.title)


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
