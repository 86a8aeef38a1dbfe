"""`/api/v3/schedule/pages/{id}/` and `/api/v3/schedule/contacts/{id}/`: the
go-live and expiry of a page or a contact, read and changed with a bearer
token whose user may publish it (see schedule_changes.py for how); and
`/api/v3/schedule/`: everything scheduled that the token's user may see, the
rows of the admin's "Schemalagt" (planning/rows.py) as JSON."""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field
from wagtail.api.v3.auth import BearerTokenAuth
from wagtail.api.v3.errors import problem_response
from wagtail.models import Page

from intl_pages.models import Contact
from planning.rows import scheduled_changes

from . import schedule_changes

router = Router(tags=["schedule"], auth=BearerTokenAuth())

TIME_HELP = (
    "ISO 8601. Med tidszon (till exempel 2027-03-01T07:00:00+01:00) är tiden exakt; utan "
    "är den svensk tid (Europe/Stockholm), och en tid som sommartiden gör omöjlig eller "
    "tvetydig avvisas. `null` tar bort schemaläggningen; ett fält som saknas lämnas orört."
)


class ScheduleIn(Schema):
    model_config = ConfigDict(extra="forbid")

    go_live_at: str | None = Field(None, description=f"När innehållet publiceras. {TIME_HELP}")
    expire_at: str | None = Field(None, description=f"När det avpubliceras. {TIME_HELP}")


class ScheduleOut(Schema):
    live: bool = Field(description="Om innehållet är publicerat nu.")
    go_live_at: datetime | None = Field(description="Schemalagd publicering (UTC).")
    expire_at: datetime | None = Field(description="Schemalagd avpublicering (UTC).")
    scheduled_revision_id: int | None = Field(description="Versionen som publiceras då.")


class ScheduledChangeOut(Schema):
    kind: str = Field(
        description="Källan: `schedule` (en sidas eller kontakts egen schemaläggning) "
        "eller `release` (en utgåva)."
    )
    what: str = Field(description="Vad som ändras: `page`, `contact` eller `release` (en utgåva).")
    id: int = Field(description="Sidans eller kontaktpersonens id.")
    title: str = Field(description="Sidans titel eller kontaktpersonens namn och titel.")
    action: str = Field(description="`publish` (publiceras) eller `expire` (avpubliceras).")
    when: datetime = Field(description="När (UTC).")
    state: str = Field(description="`pending` (planerad), `failed` eller `conflict`.")
    failure_reason: str = Field(description="Varför den misslyckades; tom annars.")
    scheduled_by: str | None = Field(description="Användarnamnet på den som schemalade.")
    revision_id: int | None = Field(description="Versionen som publiceras.")
    edit_url: str | None = Field(description="Redigeringsvyn i administrationen.")
    compare_url: str | None = Field(description="Jämförelsen med det publicerade.")


def _row_out(row):
    return {
        "kind": row.kind,
        "what": row.what,
        "id": row.object.pk,
        "title": row.title,
        "action": row.action,
        "when": row.when,
        "state": row.state,
        "failure_reason": row.failure_reason,
        "scheduled_by": row.scheduled_by.get_username() if row.scheduled_by else None,
        "revision_id": row.revision_id,
        "edit_url": row.edit_url,
        "compare_url": row.compare_url,
    }


@router.get("/", response=list[ScheduledChangeOut], operation_id="schedule_list")
def list_scheduled_changes(
    request: HttpRequest,
    start: str | None = Query(None, description=f"Från och med. {TIME_HELP}"),
    end: str | None = Query(None, description=f"Till (ej med). {TIME_HELP}"),
    what: str | None = Query(None, description="`page`, `contact` eller `release`."),
):
    """Allt som är schemalagt och som token-användaren får se, i tidsordning;
    misslyckade först, tills någon har markerat dem som sedda."""
    try:
        period = {
            name: _any_time(name, value)
            for name, value in (("start", start), ("end", end))
            if value is not None
        }
    except schedule_changes.ScheduleError as error:
        return problem_response(
            status=422,
            detail="Perioden kunde inte läsas.",
            errors=[{"type": "schedule", "loc": ["query", error.field], "msg": error.message}],
        )
    rows = scheduled_changes(user=request.user, kinds=[what] if what else None, **period)
    return [_row_out(row) for row in rows]


def _any_time(field, value):
    """A time as the schedule takes it, the past allowed (a period to list)."""
    from datetime import UTC

    try:
        return schedule_changes.parse_time(field, value, now=datetime.min.replace(tzinfo=UTC))
    except OverflowError:  # pragma: no cover
        raise schedule_changes.ScheduleError(field, "Tiden ligger för långt bort.") from None


def _change(request, obj, payload):
    if not schedule_changes.can_publish(request.user, obj):
        raise PermissionDenied(schedule_changes.NOT_YOURS)
    sent = payload.model_dump(exclude_unset=True)
    try:
        times = {
            field: None if value is None else schedule_changes.parse_time(field, value)
            for field, value in sent.items()
        }
        return schedule_changes.change_schedule(obj, request.user, **times)
    except schedule_changes.ScheduleError as error:
        return problem_response(
            status=422,
            detail="Schemaläggningen kunde inte ändras.",
            errors=[{"type": "schedule", "loc": ["body", error.field], "msg": error.message}],
        )


def _page(page_id):
    return get_object_or_404(Page.objects.all(), pk=page_id).specific


@router.get("/pages/{page_id}/", response=ScheduleOut, operation_id="schedule_page_read")
def read_page_schedule(request: HttpRequest, page_id: int):
    page = _page(page_id)
    if not schedule_changes.can_publish(request.user, page):
        raise PermissionDenied(schedule_changes.NOT_YOURS)
    return schedule_changes.schedule_of(page)


@router.put("/pages/{page_id}/", response=ScheduleOut, operation_id="schedule_page_change")
def change_page_schedule(request: HttpRequest, page_id: int, payload: ScheduleIn):
    return _change(request, _page(page_id), payload)


@router.get("/contacts/{contact_id}/", response=ScheduleOut, operation_id="schedule_contact_read")
def read_contact_schedule(request: HttpRequest, contact_id: int):
    contact = get_object_or_404(Contact, pk=contact_id)
    if not schedule_changes.can_publish(request.user, contact):
        raise PermissionDenied(schedule_changes.NOT_YOURS)
    return schedule_changes.schedule_of(contact)


@router.put("/contacts/{contact_id}/", response=ScheduleOut, operation_id="schedule_contact_change")
def change_contact_schedule(request: HttpRequest, contact_id: int, payload: ScheduleIn):
    return _change(request, get_object_or_404(Contact, pk=contact_id), payload)
