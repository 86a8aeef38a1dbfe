"""`/api/v3/schedule/pages/{id}/` and `/api/v3/schedule/contacts/{id}/`: the
go-live and expiry of a page or a contact, read and changed with a bearer
token whose user may publish it (see schedule_changes.py for how)."""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from pydantic import ConfigDict, Field
from wagtail.api.v3.auth import BearerTokenAuth
from wagtail.api.v3.errors import problem_response
from wagtail.models import Page

from intl_pages.models import Contact

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
