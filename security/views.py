"""What the admin's door answers: the lockout page, the administrators'
list of lockouts, and the password-reset form with its limits."""

import hashlib
import math

from axes.helpers import get_client_username
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import account
from wagtail.admin.views.generic.base import BaseListingView

from . import clients, lockout, ratelimit


def seconds_until(moment, now):
    return max(1, math.ceil((moment - now).total_seconds()))


def lockout_response(request, original_response=None, credentials=None):
    """Axes' answer to a refused login (`AXES_LOCKOUT_CALLABLE`): 429, when
    to try again, in Swedish and the look of Wagtail's login page. The same
    for every username, whether it exists or not."""
    now = timezone.now()
    username = get_client_username(request, credentials)
    until = lockout.lockout_end(request.axes_ip_address, username, now)
    if until is None:  # lifted in the meantime: the longest it can be
        until = now + lockout.cool_off()
    seconds = seconds_until(until, now)
    context = {
        "until": until,
        "minutes": math.ceil(seconds / 60),
        "show_password_reset": account.password_reset_enabled(),
    }
    response = render(request, "security/lockout.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response


def require_superuser(request):
    if not request.user.is_superuser:
        raise PermissionDenied  # Wagtail's admin answers with its own message


def local_time(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


class UnlockColumn(Column):
    cell_template_name = "security/unlock_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        # A cell is rendered apart from the page: its form needs the token.
        context["csrf_token"] = parent_context.get("csrf_token")
        return context


class LockoutsView(BaseListingView):
    """Inställningar → Låsta inloggningar: the lockouts in force, each with
    "Lås upp". Superusers only."""

    page_title = "Låsta inloggningar"
    header_icon = "lock"
    paginate_by = 50
    index_url_name = "security_lockouts"
    index_results_url_name = "security_lockouts_results"
    verbose_name_plural = "låsta inloggningar"
    columns = [
        Column(
            "username",
            label="Användarnamn",
            accessor=lambda lock: lock.username if lock.username is not None else "Alla",
        ),
        Column("client", label="Adress", accessor=lambda lock: lock.client or "okänd"),
        Column("failures", label="Misslyckade försök"),
        Column("since", label="Låst sedan", accessor=lambda lock: local_time(lock.since)),
        Column("until", label="Låst till", accessor=lambda lock: local_time(lock.until)),
        UnlockColumn("unlock", label=""),
    ]

    def dispatch(self, request, *args, **kwargs):
        require_superuser(request)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        self.now = timezone.now()
        return lockout.locked(self.now)

    def paginate_queryset(self, queryset, page_size):
        # Only the page shown needs its ends (one query for all of them).
        paginator, page, found, is_paginated = super().paginate_queryset(queryset, page_size)
        page.object_list = lockout.with_ends(found, self.now)
        return paginator, page, page.object_list, is_paginated

    @property
    def no_results_message(self):
        return "Ingen inloggning är låst just nu."


@require_POST
def unlock_view(request):
    require_superuser(request)
    address = request.POST.get("address") or None
    username = request.POST.get("username") if "username" in request.POST else None
    if address is not None and clients.parse(address) is None:
        messages.error(request, "Adressen är inte en giltig IP-adress.")
        return redirect("security_lockouts")
    lockout.lift(address, username)
    client = lockout.shown_client(address) or "okänd adress"
    if username is None:
        messages.success(request, f"Låste upp inloggningen från {client} för alla användarnamn.")
    else:
        messages.success(request, f"Låste upp inloggningen för ”{username}” från {client}.")
    return redirect("security_lockouts")


def email_key(email):
    """A reset's target in the limiter's keys: a digest, so that no one
    reading Redis learns who asked for a new password."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


@method_decorator(never_cache, name="dispatch")
class PasswordResetView(account.PasswordResetView):
    """Wagtail's password-reset form, with two limits on the e-mails it
    sends: per client, and per address asked for. Both count every request
    whether or not the address belongs to a user, so the answer never says
    which addresses do."""

    def form_valid(self, form):
        window = settings.PASSWORD_RESET_RATE_LIMIT_WINDOW_SECONDS
        client = ratelimit.hit(
            "password-reset",
            clients.rate_key(self.request),
            settings.PASSWORD_RESET_RATE_LIMIT,
            window,
        )
        if not client.allowed:
            return self.refused(form, client.retry_after)
        target = ratelimit.hit(
            "password-reset-email",
            email_key(form.cleaned_data["email"]),
            settings.PASSWORD_RESET_EMAIL_RATE_LIMIT,
            window,
        )
        if not target.allowed:
            return self.refused(form, target.retry_after)
        return super().form_valid(form)

    def refused(self, form, retry_after):
        minutes = math.ceil(retry_after / 60)
        form.add_error(
            None,
            "Det har begärts för många nya lösenord på kort tid. Försök igen om "
            f"{minutes} minut{'er' if minutes != 1 else ''}.",
        )
        response = self.render_to_response(self.get_context_data(form=form), status=429)
        response["Retry-After"] = str(retry_after)
        return response
