"""The admin's side of review dates: the "Granskad" view and the report
"Att granska". Both call the domain functions in reviews.py."""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.models import Page

from . import reviews
from .models import Contact


class ReviewForm(forms.Form):
    interval_days = forms.IntegerField(
        label="Granskningsintervall (dagar)",
        required=False,
        min_value=1,
        max_value=3650,
        help_text="Hur många dagar det får gå mellan granskningarna. Lämna tomt för "
        "sidtypens standard.",
        error_messages={
            "min_value": "Ange minst 1 dag.",
            "max_value": "Ange högst 3650 dagar (tio år).",
            "invalid": "Ange ett helt antal dagar, till exempel 365.",
        },
    )


def object_of(kind, pk):
    if kind == "contact":
        obj = Contact.objects.filter(pk=pk).select_related("review").first()
    elif kind == "page":
        page = Page.objects.filter(pk=pk).first()
        obj = page.specific if page else None
        if obj is not None and not isinstance(obj, reviews.PAGE_MODELS):
            obj = None
    else:
        obj = None
    if obj is None:
        raise Http404("Det finns inget sådant att granska.")
    return obj


def title_of(obj):
    return obj.name if isinstance(obj, Contact) else obj.title


class ReviewView(WagtailAdminTemplateMixin, TemplateView):
    """GET: what is recorded and a button; POST: "Granskad" (CSRF as every
    admin form). Only for those who may publish the object."""

    template_name = "intl_pages/admin/review.html"
    page_title = "Granskad"
    header_icon = "tick"

    def dispatch(self, request, kind, pk):
        self.obj = object_of(kind, pk)
        if not reviews.can_review(request.user, self.obj):
            # A 403, not Wagtail's redirect to the dashboard: the link came
            # from a digest or a report, and the answer should say why.
            return HttpResponseForbidden(
                "Du kan inte markera det här som granskat: det kräver behörighet att "
                "publicera det.",
                content_type="text/plain; charset=utf-8",
            )
        self.may_change_interval = reviews.can_change_interval(request.user)
        return super().dispatch(request, kind, pk)

    def get_page_subtitle(self):
        return title_of(self.obj)

    def next_url(self):
        url = self.request.POST.get("next") or self.request.GET.get("next") or ""
        if url and url_has_allowed_host_and_scheme(url, allowed_hosts={self.request.get_host()}):
            return url
        return reverse("intl_pages_reviews_report")

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        if form is None and self.may_change_interval:
            row = self.obj._review_row()
            form = ReviewForm(initial={"interval_days": row.interval_days if row else None})
        context.update(
            obj=self.obj,
            title=title_of(self.obj),
            form=form,
            default_interval=self.obj.review_interval_days,
            next=self.next_url(),
        )
        return context

    def post(self, request, *args, **kwargs):
        interval = reviews.KEEP
        if self.may_change_interval and "interval_days" in request.POST:
            form = ReviewForm(request.POST)
            if not form.is_valid():
                response = self.render_to_response(self.get_context_data(form=form))
                response.status_code = 400
                return response
            interval = form.cleaned_data["interval_days"]
        reviews.mark_reviewed(self.obj, request.user, interval_days=interval)
        messages.success(
            request,
            f"”{title_of(self.obj)}” är markerad som granskad. Nästa granskning: "
            f"{reviews.local_date(self.obj.review_due_at)}.",
        )
        return redirect(self.next_url())


class ReviewsReportView(WagtailAdminTemplateMixin, TemplateView):
    """Every page and contact whose review is due, oldest due first, of
    those the user may edit."""

    template_name = "intl_pages/admin/reviews_report.html"
    page_title = "Att granska"
    header_icon = "tick"

    def get_breadcrumbs_items(self):
        return [{"url": "", "label": "Rapporter"}, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        may_edit_contacts = Contact.snippet_viewset.permission_policy.user_has_permission(
            user, "change"
        )
        rows = []
        here = self.request.get_full_path()
        for obj, owners in reviews.due_objects(timezone.now(), whole=True):
            if isinstance(obj, Contact):
                if not may_edit_contacts:
                    continue
                edit_url = reverse(Contact.snippet_viewset.get_url_name("edit"), args=[obj.pk])
            else:
                if not obj.permissions_for_user(user).can_edit():
                    continue
                edit_url = reverse("wagtailadmin_pages:edit", args=[obj.pk])
            rows.append(
                {
                    "title": title_of(obj),
                    "kind": "Kontaktperson" if isinstance(obj, Contact) else "Sida",
                    "owners": owners,
                    "due_on": reviews.local_date(obj.review_due_at),
                    "due_iso": obj.review_due_at.isoformat(),
                    "last_reviewed_on": reviews.local_date(obj.last_reviewed_at)
                    if obj.last_reviewed_at
                    else "",
                    "edit_url": edit_url,
                    "review_url": reverse("intl_pages_review", args=[reviews.kind_of(obj), obj.pk])
                    + "?"
                    + urlencode({"next": here}),
                    "may_review": reviews.can_review(user, obj),
                }
            )
        context["rows"] = rows
        return context
