"""Whether a translation lags behind the page it translates.

simple_translation copies a page once and keeps nothing in step, so the
editor of the English page is told when the Swedish page has a revision
newer than the translation's own latest: something may be left to translate.
"""

from django.urls import reverse
from wagtail.models import Locale


def source_changes(translation):
    """(source page, its revision when the translation was last updated or
    None) where the source page in the default locale has changed since the
    translation's latest revision; None where it has not, or where the page
    is no translation."""
    default = Locale.get_default()
    if translation.locale_id == default.pk or translation.latest_revision_id is None:
        return None
    source = (
        type(translation)
        .objects.filter(translation_key=translation.translation_key, locale=default)
        .select_related("latest_revision")
        .first()
    )
    if source is None or source.latest_revision is None:
        return None
    updated_at = translation.latest_revision.created_at
    if source.latest_revision.created_at <= updated_at:
        return None
    then = (
        source.revisions.filter(created_at__lte=updated_at).order_by("-created_at", "-pk").first()
    )
    return source, then


def compare_url(source, then):
    """The admin's comparison of the source as it was then with its latest
    revision; its history where there was no revision then."""
    if then is None:
        return reverse("wagtailadmin_pages:history", args=(source.pk,))
    return reverse("wagtailadmin_pages:revisions_compare", args=(source.pk, then.pk, "latest"))
