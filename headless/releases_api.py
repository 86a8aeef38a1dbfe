"""`/api/v3/releases/`: releases (utgåvor) through the API, with a token that
has the `schedule` scope. Every operation calls the same action as the admin
(releases/actions.py); times are read as the schedule endpoints read them
(schedule_changes.parse_time)."""

from datetime import UTC, datetime
from typing import Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field, StrictInt, StrictStr
from wagtail.api.v3.auth import BearerTokenAuth
from wagtail.api.v3.errors import problem_response
from wagtail.models import Page, Revision

from intl_pages.models import Contact
from releases import actions
from releases.models import OPEN_STATES, ItemAction, Release

from . import schedule_changes
from .schedule_api import TIME_HELP

router = Router(tags=["releases"], auth=BearerTokenAuth())

NOT_FOUND = "Utgåvan finns inte."
ONE_OBJECT = "Ange antingen `page` eller `contact`, inte båda."
NO_SUCH_PAGE = "Sidan finns inte."
NO_SUCH_CONTACT = "Kontaktpersonen finns inte."
NO_SUCH_REVISION = "Versionen finns inte."
GO_LIVE_HELP = (
    "När utgåvan publiceras, allt på en gång. Utan tid är den ett utkast (`draft`). "
    + TIME_HELP.split(" `null`")[0]
)


class ReleaseIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: StrictStr = Field(min_length=1, max_length=255, description="Utgåvans namn.")
    go_live_at: StrictStr | None = Field(None, description=GO_LIVE_HELP)


class ReleaseChange(Schema):
    model_config = ConfigDict(extra="forbid")

    name: StrictStr | None = Field(None, min_length=1, max_length=255, description="Nytt namn.")
    go_live_at: StrictStr | None = Field(
        None,
        description="Ny tid (flyttar utgåvan, eller schemalägger ett utkast); `null` gör den "
        "till ett utkast igen; ett fält som saknas lämnas orört. " + TIME_HELP.split(" `null`")[0],
    )


class ItemIn(Schema):
    model_config = ConfigDict(extra="forbid")

    page: StrictInt | None = Field(None, ge=1, description="Sidans id.")
    contact: StrictInt | None = Field(None, ge=1, description="Kontaktpersonens id.")
    revision: StrictInt | None = Field(
        None,
        ge=1,
        description="Versionen som publiceras; utan den objektets senaste. Läggs objektet "
        "till igen byts versionen.",
    )
    action: Literal["publish", "unpublish"] = Field(
        "publish", description="`publish` (standard) eller `unpublish`."
    )


class ItemOut(Schema):
    id: int = Field(description="Ändringens id i utgåvan.")
    type: Literal["page", "contact"]
    object_id: int = Field(description="Sidans eller kontaktpersonens id.")
    action: Literal["publish", "unpublish"]
    revision: int | None = Field(description="Versionen som publiceras; null vid `unpublish`.")
    conflict: str | None = Field(
        description="Varför ändringen inte kan genomföras som den står, eller null."
    )


class ReasonOut(Schema):
    item: int = Field(description="Ändringens id.")
    reason: str = Field(description="Varför, på svenska.")


class ReleaseOut(Schema):
    id: int
    name: str
    state: Literal["draft", "scheduled", "published", "failed", "cancelled"] = Field(
        description="`draft`, `scheduled`, `published`, `failed` eller `cancelled`."
    )
    go_live_at: datetime | None = Field(description="När utgåvan publiceras (UTC).")
    published_at: datetime | None = Field(description="När den publicerades (dess tid).")
    failed_at: datetime | None = Field(description="När den misslyckades.")
    items: list[ItemOut]
    failure: list[ReasonOut] = Field(
        description="Varför den misslyckades, per ändring (tom om den inte gjorde det)."
    )
    conflicts: list[ReasonOut] = Field(
        description="Ändringar som inte kan genomföras som de står (tom om inga)."
    )


def _item_out(item, conflict):
    return {
        "id": item.pk,
        "type": "page" if item.content_type.model_class() is Page else "contact",
        "object_id": int(item.object_id),
        "action": item.action,
        "revision": item.revision_id,
        "conflict": conflict,
    }


def _utc(moment):
    return moment.astimezone(UTC) if moment else None


def release_out(release):
    items = list(release.items.select_related("content_type", "revision"))
    found = actions.conflicts(release) if release.state in OPEN_STATES else {}
    failure = release.failure_reasons.get("items", {}) if release.state == "failed" else {}
    return {
        "id": release.pk,
        "name": release.name,
        "state": release.state,
        "go_live_at": _utc(release.go_live_at),
        "published_at": _utc(release.published_at),
        "failed_at": _utc(release.failed_at),
        "items": [_item_out(item, found.get(item.pk)) for item in items],
        "failure": [{"item": int(pk), "reason": reason} for pk, reason in failure.items()],
        "conflicts": [{"item": pk, "reason": reason} for pk, reason in found.items()],
    }


def refused(error):
    if error.status == 422:
        loc = ["body", error.field] if error.field else ["body"]
        return problem_response(
            status=422,
            detail="Utgåvan kunde inte ändras.",
            errors=[{"type": "release", "loc": loc, "msg": error.message}],
        )
    return problem_response(status=error.status, detail=error.message)


def invalid(field, message):
    return refused(actions.ReleaseError(message, field))


def _time(field, value):
    return schedule_changes.parse_time(field, value)


def _release(release_id):
    return get_object_or_404(Release, pk=release_id)


@router.post("/", response={201: ReleaseOut}, operation_id="release_create")
def create_release(request: HttpRequest, payload: ReleaseIn):
    """Ny utgåva: ett utkast, eller schemalagd om `go_live_at` anges."""
    try:
        go_live_at = _time("go_live_at", payload.go_live_at) if payload.go_live_at else None
        release = actions.create_release(payload.name, request.user, go_live_at)
    except schedule_changes.ScheduleError as error:
        return invalid(error.field, error.message)
    except actions.ReleaseError as error:
        return refused(error)
    return Status(201, release_out(release))


@router.get("/{release_id}/", response=ReleaseOut, operation_id="release_read")
def read_release(request: HttpRequest, release_id: int):
    """Utgåvans status, ändringar och, om den misslyckades eller står i konflikt, varför."""
    return release_out(_release(release_id))


@router.put("/{release_id}/", response=ReleaseOut, operation_id="release_change")
def change_release(request: HttpRequest, release_id: int, payload: ReleaseChange):
    """Flytta (ny `go_live_at`) eller byt namn. Användaren måste få publicera varje ändring."""
    release = _release(release_id)
    sent = payload.model_dump(exclude_unset=True)
    try:
        if sent.get("name") is not None:
            release = actions.rename_release(release, sent["name"])
        if "go_live_at" in sent:
            if sent["go_live_at"] is None:
                release = actions.unschedule_release(release)
            else:
                when = _time("go_live_at", sent["go_live_at"])
                release = actions.move_release(release, when, request.user)
    except schedule_changes.ScheduleError as error:
        return invalid(error.field, error.message)
    except actions.ReleaseError as error:
        return refused(error)
    return release_out(release)


@router.delete("/{release_id}/", response=ReleaseOut, operation_id="release_cancel")
def cancel_release(request: HttpRequest, release_id: int):
    """Avbryt utgåvan: inget i den publiceras."""
    try:
        release = actions.cancel_release(_release(release_id))
    except actions.ReleaseError as error:
        return refused(error)
    return release_out(release)


def _object(payload):
    if (payload.page is None) == (payload.contact is None):
        return None, invalid("page", ONE_OBJECT)
    if payload.page is not None:
        page = Page.objects.filter(pk=payload.page).first()
        if page is None:
            return None, invalid("page", NO_SUCH_PAGE)
        return page.specific, None
    contact = Contact.objects.filter(pk=payload.contact).first()
    if contact is None:
        return None, invalid("contact", NO_SUCH_CONTACT)
    return contact, None


@router.post("/{release_id}/items/", response={201: ItemOut}, operation_id="release_add_item")
def add_item(request: HttpRequest, release_id: int, payload: ItemIn):
    """Lägg till en sida eller kontaktperson (eller byt dess version), tills utgåvan har
    påbörjats (sedan 409)."""
    release = _release(release_id)
    obj, refusal = _object(payload)
    if refusal is not None:
        return refusal
    revision = None
    if payload.revision is not None:
        revision = Revision.objects.filter(pk=payload.revision).first()
        if revision is None:
            return invalid("revision", NO_SUCH_REVISION)
    try:
        item = actions.add_item(
            release, obj, request.user, revision=revision, action=ItemAction(payload.action)
        )
    except actions.ReleaseError as error:
        return refused(error)
    return Status(201, _item_out(item, None))


@router.delete(
    "/{release_id}/items/{item_id}/", response={204: None}, operation_id="release_remove_item"
)
def remove_item(request: HttpRequest, release_id: int, item_id: int):
    """Ta bort en ändring ur utgåvan, tills utgåvan har påbörjats (sedan 409)."""
    release = _release(release_id)
    try:
        if not actions.remove_item(release, item_id):
            return problem_response(status=404, detail="Ändringen finns inte i utgåvan.")
    except actions.ReleaseError as error:
        return refused(error)
    return Status(204, None)
