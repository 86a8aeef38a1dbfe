"""The editors' side of releases in Wagtail's admin, under /admin/utgavor/:
the list, a release's own view and its changes, and "Lägg till i utgåva"
from a page's or a contact's edit view. Every change goes through
actions.py, as the API's do; this module only reads forms and answers.

A refused change re-renders the release's view with the reason and the
status the API would answer with (403, 409, 422); bad input is a 400."""

from django import forms
from django.contrib.admin.utils import quote
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.widgets import AdminDateTimeInput, AdminPageChooser
from wagtail.models import Page, Revision
from wagtail.permissions import policy_registry
from wagtail.snippets.widgets import AdminSnippetChooser

from intl_pages.models import Contact

from . import actions, preview
from .models import OPEN_STATES, ItemAction, Release, ReleaseItem, ReleaseState
from .times import STOCKHOLM, both, swedish_time, utc_time

KINDS = {"sida": Page, "kontakt": Contact}
TIME_HELP = "Svensk tid, CET/CEST (vintertid UTC+1, sommartid UTC+2)."
INVALID = "Formuläret har fel; se nedan."


# Rights


def may_edit(user, obj):
    if isinstance(obj, Page):
        return obj.permissions_for_user(user).can_edit()
    return policy_registry.get_by_type(type(obj)).user_has_permission(user, "change")


def may_publish_all(user, release, objects=None):
    """Whether `user` may publish every object of the release: the right to
    schedule it (actions.schedule_release), and so to unschedule or cancel
    it once scheduled."""
    if objects is None:
        objects = preview.objects_of(list(release.items.select_related("content_type")))
    return all(actions.may_publish(user, obj) for obj in objects.values() if obj is not None)


def pk_fits(model, value):
    """Whether `value` can be a primary key of `model` at all: a number out
    of the column's range is a 404 or a form error, not a database error."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return False
    bits = 63 if model._meta.pk.get_internal_type() == "BigAutoField" else 31
    return 0 < number < 2**bits


class ExistingChoiceField(forms.ModelChoiceField):
    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not pk_fits(self.queryset.model, value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


def kind_of(obj):
    return "sida" if isinstance(obj, Page) else "kontakt"


# Forms


class ReleaseForm(forms.Form):
    name = forms.CharField(
        label="Namn", max_length=255, help_text="Till exempel ”Nytt partnerskap med Rockford”."
    )


class ScheduleForm(forms.Form):
    go_live_at = forms.DateTimeField(
        label="Publiceras", help_text=TIME_HELP, widget=AdminDateTimeInput()
    )


class AddItemForm(forms.Form):
    page = ExistingChoiceField(
        Page.objects.filter(depth__gt=1),
        label="Sida",
        required=False,
        widget=AdminPageChooser(),
    )
    contact = ExistingChoiceField(
        Contact.objects.all(),
        label="Kontaktperson",
        required=False,
        widget=AdminSnippetChooser(Contact),
    )
    action = forms.ChoiceField(
        label="Åtgärd",
        choices=[
            (ItemAction.PUBLISH, "Publicera den senaste versionen"),
            (ItemAction.UNPUBLISH, "Avpublicera (ta ner från webbplatsen)"),
        ],
        initial=ItemAction.PUBLISH,
        widget=forms.RadioSelect,
    )

    def __init__(self, data=None, **kwargs):
        # A choice that is no id at all is taken out before the choosers see
        # it: re-rendering the form, they would look it up.
        self.unreadable = []
        if data is not None:
            data = data.copy()
            for name, model in (("page", Page), ("contact", Contact)):
                if data.get(name) and not pk_fits(model, data.get(name)):
                    data[name] = ""
                    self.unreadable.append(name)
        super().__init__(data, **kwargs)

    def clean(self):
        data = super().clean()
        for name in self.unreadable:
            self.add_error(name, "Det valda finns inte. Välj igen.")
        chosen = "page" not in self.errors and "contact" not in self.errors
        if chosen and (data.get("page") is None) == (data.get("contact") is None):
            raise ValidationError("Välj antingen en sida eller en kontaktperson.")
        return data

    def chosen(self):
        data = self.cleaned_data
        return data["page"].specific if data.get("page") else data["contact"]


class ChooseReleaseForm(forms.Form):
    release = ExistingChoiceField(
        Release.objects.none(),
        label="Utgåva",
        required=False,
        empty_label=None,
        widget=forms.RadioSelect,
    )
    new_name = forms.CharField(
        label="eller en ny utgåva med namnet", max_length=255, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["release"].queryset = Release.objects.filter(
            state__in=(ReleaseState.DRAFT, ReleaseState.SCHEDULED)
        ).order_by("go_live_at", "name")
        self.fields["release"].label_from_instance = release_label

    def clean(self):
        data = super().clean()
        if not self.errors and (data.get("release") is None) == (not data.get("new_name")):
            raise ValidationError("Välj en utgåva, eller skriv ett namn på en ny (inte båda).")
        return data


def release_label(release):
    if release.state == ReleaseState.SCHEDULED:
        return f"{release.name} (schemalagd, {both(release.go_live_at)})"
    return f"{release.name} (utkast)"


# Reading


def _release(release_id):
    if not pk_fits(Release, release_id):
        raise Http404
    return get_object_or_404(Release, pk=release_id)


def _object(kind, object_id):
    model = KINDS.get(kind)
    if model is None or not pk_fits(model, object_id):
        raise Http404
    obj = model.objects.filter(pk=object_id).first()
    if obj is None:
        raise Http404
    return obj.specific if isinstance(obj, Page) else obj


def _links(obj, revision_id=None):
    """Edit, and compare the pinned revision with the live one."""
    if isinstance(obj, Page):
        edit = reverse("wagtailadmin_pages:edit", args=[obj.pk])
        compare_name = "wagtailadmin_pages:revisions_compare"
    else:
        edit = reverse("wagtailsnippets_intl_pages_contact:edit", args=[quote(obj.pk)])
        compare_name = "wagtailsnippets_intl_pages_contact:revisions_compare"
    compare = None
    if revision_id and obj.live:
        compare = reverse(compare_name, args=[quote(obj.pk), "live", revision_id])
    return edit, compare


def _rows(release, items, objects, conflicts):
    rows = []
    for item in items:
        obj = objects.get(item.pk)
        edit_url = compare_url = None
        latest = None
        if obj is not None:
            edit_url, compare_url = _links(obj, item.revision_id)
            latest = obj.latest_revision_id
        rows.append(
            {
                "item": item,
                "object": obj,
                "label": actions.label(obj) if obj is not None else "Objektet finns inte längre",
                "kind": kind_of(obj) if obj is not None else "",
                "edit_url": edit_url,
                "compare_url": compare_url,
                "outdated": item.action == ItemAction.PUBLISH
                and latest is not None
                and latest != item.revision_id,
                "conflict": conflicts.get(item.pk),
                "failure": release.failure_reasons.get("items", {}).get(str(item.pk)),
            }
        )
    return rows


def _front_end_preview_urls(release, pages):
    """{page pk: another app's preview of it} (the headless front-end's),
    through the hook `release_preview_urls(release, pages)`: releases
    depends on none of them."""
    urls = {}
    for hook in hooks.get_hooks("release_preview_urls"):
        for page_id, url in hook(release, pages).items():
            urls.setdefault(page_id, url)
    return urls


def index(request):
    releases = list(
        Release.objects.exclude(state=ReleaseState.CANCELLED)
        .annotate(item_count=Count("items"))
        .order_by("state", "go_live_at", "pk")
    )
    order = {
        ReleaseState.FAILED: 0,
        ReleaseState.SCHEDULED: 1,
        ReleaseState.DRAFT: 2,
        ReleaseState.PUBLISHED: 3,
    }
    releases.sort(key=lambda r: (order.get(r.state, 4), r.go_live_at or timezone.now(), r.pk))
    rows = [
        {
            "release": release,
            "local": swedish_time(release.go_live_at),
            "utc": utc_time(release.go_live_at),
            "conflicts": len(actions.conflicts(release)) if release.state in OPEN_STATES else 0,
        }
        for release in releases
    ]
    return TemplateResponse(
        request,
        "releases/index.html",
        {"rows": rows, "page_title": "Utgåvor", "header_icon": "calendar-alt"},
    )


def create(request):
    form = ReleaseForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            release = actions.create_release(form.cleaned_data["name"], request.user)
            messages.success(request, f"Utgåvan ”{release.name}” är skapad.")
            return redirect("releases_admin:detail", release.pk)
        status = 400
    return TemplateResponse(
        request,
        "releases/create.html",
        {"form": form, "page_title": "Ny utgåva", "header_icon": "calendar-alt"},
        status=status,
    )


def detail(request, release_id):
    release = _release(release_id)
    # Looked at: a failure leaves the top of "Schemalagt" and the dashboard.
    actions.failure_seen(release, request.user)
    return _detail(request, release)


def _detail(request, release, status=200, schedule_form=None, add_form=None, error=None):
    if error:
        messages.error(request, error)
    open_ = release.state in OPEN_STATES
    items = list(release.items.select_related("content_type", "revision"))
    objects = preview.objects_of(items)
    conflicts = actions.conflicts(release, objects=objects) if open_ else {}
    initial = {}
    if release.go_live_at:
        initial["go_live_at"] = release.go_live_at.astimezone(STOCKHOLM).replace(tzinfo=None)
    entries = preview.pages(release, loaded=(items, objects))
    front_end = _front_end_preview_urls(release, [entry.page for entry in entries])
    previews = [
        {
            "title": entry.title,
            "in_release": entry.in_release,
            "url": reverse("releases_admin:preview", args=[release.pk, entry.page.pk]),
            "front_end_url": front_end.get(entry.page.pk),
        }
        for entry in entries
    ]
    context = {
        "release": release,
        "open": open_,
        "rows": _rows(release, items, objects, conflicts),
        "conflict_count": len(conflicts),
        "local": swedish_time(release.go_live_at),
        "utc": utc_time(release.go_live_at),
        "published": both(release.published_at),
        "schedule_form": schedule_form or ScheduleForm(initial=initial),
        "add_form": add_form or AddItemForm(),
        "may_publish_all": may_publish_all(request.user, release, objects),
        "previews": previews,
        "page_title": f"Utgåva: {release.name}",
        "header_icon": "calendar-alt",
    }
    return TemplateResponse(request, "releases/detail.html", context, status=status)


# Changing


def _refused(request, release, error, **forms_):
    """The release's view again, saying why, with the API's status."""
    release.refresh_from_db()
    return _detail(request, release, status=error.status, error=error.message, **forms_)


@require_POST
def schedule(request, release_id):
    release = _release(release_id)
    form = ScheduleForm(request.POST)
    # The form's field reads the time in Swedish time, whatever the
    # editor's own time zone in the admin.
    with timezone.override(STOCKHOLM):
        valid = form.is_valid()
    if not valid:
        return _detail(request, release, status=400, schedule_form=form, error=INVALID)
    try:
        release = actions.schedule_release(release, form.cleaned_data["go_live_at"], request.user)
    except actions.ReleaseError as error:
        return _refused(request, release, error, schedule_form=form)
    messages.success(request, f"Utgåvan ”{release.name}” publiceras {both(release.go_live_at)}.")
    return redirect("releases_admin:detail", release.pk)


def _guarded(request, release):
    """Taking a scheduled release back is for those who may schedule it."""
    if release.state == ReleaseState.SCHEDULED and not may_publish_all(request.user, release):
        return actions.NotAllowed(
            "Du får inte publicera allt i utgåvan och kan därför inte ändra när den publiceras."
        )
    return None


@require_POST
def unschedule(request, release_id):
    release = _release(release_id)
    try:
        refusal = _guarded(request, release)
        if refusal:
            raise refusal
        release = actions.unschedule_release(release)
    except actions.ReleaseError as error:
        return _refused(request, release, error)
    messages.success(request, f"Utgåvan ”{release.name}” är inte längre schemalagd.")
    return redirect("releases_admin:detail", release.pk)


@require_POST
def cancel(request, release_id):
    release = _release(release_id)
    try:
        refusal = _guarded(request, release)
        if refusal:
            raise refusal
        release = actions.cancel_release(release)
    except actions.ReleaseError as error:
        return _refused(request, release, error)
    messages.success(request, f"Utgåvan ”{release.name}” är avbruten. Inget i den publiceras.")
    return redirect("releases_admin:index")


@require_POST
def add(request, release_id):
    release = _release(release_id)
    form = AddItemForm(request.POST)
    if not form.is_valid():
        return _detail(request, release, status=400, add_form=form, error=INVALID)
    obj = form.chosen()
    if not may_edit(request.user, obj):
        error = actions.NotAllowed(f"Du får inte ändra {actions.lower_first(actions.label(obj))}.")
        return _refused(request, release, error, add_form=form)
    try:
        actions.add_item(release, obj, request.user, action=ItemAction(form.cleaned_data["action"]))
    except actions.ReleaseError as error:
        return _refused(request, release, error, add_form=form)
    verb = "publiceras" if form.cleaned_data["action"] == ItemAction.PUBLISH else "avpubliceras"
    messages.success(request, f"{actions.label(obj)} {verb} med utgåvan.")
    return redirect("releases_admin:detail", release.pk)


@require_POST
def remove(request, release_id, item_id):
    release = _release(release_id)
    if not pk_fits(ReleaseItem, item_id):
        return _detail(request, release, status=404, error="Ändringen finns inte i utgåvan.")
    try:
        removed = actions.remove_item(release, item_id)
    except actions.ReleaseError as error:
        return _refused(request, release, error)
    if not removed:
        return _detail(request, release, status=404, error="Ändringen finns inte i utgåvan.")
    messages.success(request, "Ändringen är borttagen ur utgåvan.")
    return redirect("releases_admin:detail", release.pk)


@require_POST
def repin(request, release_id, item_id):
    """Pin the object's latest revision (after a direct publish, or a newer
    draft): adding it again, as the API does."""
    release = _release(release_id)
    if not pk_fits(ReleaseItem, item_id):
        return _detail(request, release, status=404, error="Ändringen finns inte i utgåvan.")
    item = release.items.filter(pk=item_id).select_related("content_type").first()
    obj = actions.object_of(item) if item is not None else None
    if obj is None:
        return _detail(request, release, status=404, error="Ändringen finns inte i utgåvan.")
    try:
        actions.add_item(release, obj, request.user, action=ItemAction(item.action))
    except actions.ReleaseError as error:
        return _refused(request, release, error)
    messages.success(request, f"{actions.label(obj)}: utgåvan publicerar nu den senaste versionen.")
    return redirect("releases_admin:detail", release.pk)


# "Lägg till i utgåva" from an edit view


def choose(request, kind, object_id, revision_id):
    """Which release gets the revision the edit view just saved."""
    obj = _object(kind, object_id)
    if not may_edit(request.user, obj):
        raise PermissionDenied
    if not pk_fits(Revision, revision_id):
        raise Http404
    revision = Revision.objects.filter(
        pk=revision_id,
        object_id=str(obj.pk),
        base_content_type=ContentType.objects.get_for_model(
            actions.base_model(type(obj)), for_concrete_model=False
        ),
    ).first()
    if revision is None:
        raise Http404
    form = ChooseReleaseForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            release = form.cleaned_data["release"]
            try:
                if release is None:
                    release = actions.create_release(form.cleaned_data["new_name"], request.user)
                actions.add_item(release, obj, request.user, revision=revision)
            except actions.ReleaseError as error:
                messages.error(request, error.message)
                status = error.status
            else:
                messages.success(
                    request, f"{actions.label(obj)} är tillagd i utgåvan ”{release.name}”."
                )
                return redirect("releases_admin:detail", release.pk)
        else:
            messages.error(request, INVALID)
            status = 400
    edit_url, _compare = _links(obj)
    return TemplateResponse(
        request,
        "releases/choose.html",
        {
            "form": form,
            "object_label": actions.label(obj),
            "revision": revision,
            "edit_url": edit_url,
            "page_title": "Lägg till i utgåva",
            "header_icon": "calendar-alt",
        },
        status=status,
    )


def preview_page(request, release_id, page_id):
    release = _release(release_id)
    entry = preview.page_of(release, page_id) if pk_fits(Page, page_id) else None
    if entry is None:
        raise Http404("Sidan ingår inte i utgåvans förhandsgranskning.")
    return preview.render(release, entry.as_released(), request)
