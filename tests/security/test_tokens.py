"""API tokens with scopes and an expiry (headless/scopes.py, tokens.py,
models.py, token_admin.py): a token does only what it was made for — the
schedule, Wagtail's page writes and actions, or drafts — even where its user
may do more; an expired one does nothing; the OpenAPI document says which
scope each operation needs. Real database, Django's test client on /api/v3/."""

import importlib
import io
import json
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openapi_spec_validator import validate
from wagtail.models import APIToken, Page, PageLogEntry, Revision
from wagtail.test.utils import WagtailTestUtils

from headless.models import APITokenGrant
from headless.scopes import RULES, SCOPES, required_scope
from intl_pages.models import InternationalPage
from tests.builders import heading, make_api_token, make_page, make_site_root
from tests.intl_pages.admin_forms import PASSWORD, make_user

NEXT_YEAR = timezone.now().year + 1


@pytest.fixture
def page(db):
    make_site_root()
    return make_page(title="Vänorter", body=[heading("Vänorter")])


@pytest.fixture
def admin(db):
    return make_user("admin", superuser=True)


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def call(client, method, path, token, body=None):
    kwargs = bearer(token)
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(path, **kwargs)


def revision_paths(page):
    return [
        f"/api/v3/pages/{page.pk}/revisions/",
        f"/api/v3/pages/{page.pk}/revisions/{page.latest_revision_id}/",
    ]


def page_state(page):
    """What a refused request must leave as it was."""
    page = Page.objects.get(pk=page.pk)
    return (
        page.title,
        page.live,
        Page.objects.count(),
        Revision.objects.count(),
        PageLogEntry.objects.count(),
    )


def test_a_schedule_token_is_refused_on_pages_and_drafts_even_for_a_superuser(client, page, admin):
    token = make_api_token(admin, "schedule")
    before = page_state(page)

    for method, path, body in (
        ("delete", f"/api/v3/pages/{page.pk}/", None),
        ("delete", f"/api/v3/pages/{page.pk}/actions/delete/", None),
        ("post", f"/api/v3/pages/{page.pk}/actions/publish/", {}),
        ("post", f"/api/v3/pages/{page.pk}/actions/unpublish/", {}),
        ("patch", f"/api/v3/pages/{page.pk}/", {"title": "Kapad"}),
        *(("get", path, None) for path in revision_paths(page)),
    ):
        response = call(client, method, path, token, body)
        assert response.status_code == 403, (method, path, response.content)
        assert response["Content-Type"] == "application/problem+json"
        needed = "drafts" if "revisions" in path else "pages"
        assert response.json()["detail"] == (
            f"Token saknar behörigheten {needed}, som behövs för detta."
        )
        assert f'scope="{needed}"' in response["WWW-Authenticate"]
    assert page_state(page) == before


def test_a_schedule_token_reads_and_changes_a_schedule(client, page, admin):
    token = make_api_token(admin, "schedule")
    path = f"/api/v3/schedule/pages/{page.pk}/"
    assert call(client, "get", path, token).status_code == 200

    expire_at = f"{NEXT_YEAR}-03-01T07:00:00+01:00"
    response = call(client, "put", path, token, {"expire_at": expire_at})

    assert response.status_code == 200, response.content
    assert Page.objects.get(pk=page.pk).expire_at is not None


def test_a_pages_token_writes_a_page_but_not_a_schedule(client, page, admin):
    token = make_api_token(admin, "pages")

    response = call(client, "patch", f"/api/v3/pages/{page.pk}/", token, {"title": "Systerstäder"})

    assert response.status_code == 200, response.content
    assert Page.objects.get(pk=page.pk).get_latest_revision_as_object().title == "Systerstäder"
    path = f"/api/v3/schedule/pages/{page.pk}/"
    assert call(client, "get", path, token).status_code == 403
    put = call(client, "put", path, token, {"expire_at": f"{NEXT_YEAR}-03-01T07:00:00+01:00"})
    assert put.status_code == 403
    assert put.json()["detail"] == "Token saknar behörigheten schedule, som behövs för detta."
    assert Page.objects.get(pk=page.pk).expire_at is None


def test_a_pages_token_publishes(client, page, admin):
    draft = InternationalPage.objects.get(pk=page.pk)
    draft.title = "Ny rubrik"
    draft.save_revision()
    token = make_api_token(admin, "pages")

    response = call(client, "post", f"/api/v3/pages/{page.pk}/actions/publish/", token, {})

    assert response.status_code == 200, response.content
    assert Page.objects.get(pk=page.pk).title == "Ny rubrik"


def test_a_drafts_token_reads_revisions_and_nothing_else(client, page, admin):
    token = make_api_token(admin, "drafts")
    for path in revision_paths(page):
        assert call(client, "get", path, token).status_code == 200, path
    before = page_state(page)
    assert call(client, "delete", f"/api/v3/pages/{page.pk}/", token).status_code == 403
    assert call(client, "get", f"/api/v3/schedule/pages/{page.pk}/", token).status_code == 403
    assert page_state(page) == before


def test_an_expired_token_is_refused_everywhere_and_changes_nothing(client, page, admin):
    token = make_api_token(admin, days=-1)  # every scope, expired a day ago
    before = page_state(page)

    for method, path, body in (
        ("delete", f"/api/v3/pages/{page.pk}/", None),
        ("patch", f"/api/v3/pages/{page.pk}/", {"title": "Kapad"}),
        ("post", f"/api/v3/pages/{page.pk}/actions/publish/", {}),
        ("post", "/api/v3/pages/", {"type": "intl_pages.InternationalPage", "title": "Ny"}),
        ("get", f"/api/v3/schedule/pages/{page.pk}/", None),
        ("put", f"/api/v3/schedule/pages/{page.pk}/", {"expire_at": f"{NEXT_YEAR}-03-01"}),
        *(("get", path, None) for path in revision_paths(page)),
    ):
        response = call(client, method, path, token, body)
        assert response.status_code == 401, (method, path, response.content)
        assert response.json()["detail"].startswith("Token gick ut ")
        assert 'error="invalid_token"' in response["WWW-Authenticate"]

    assert page_state(page) == before
    assert Page.objects.get(pk=page.pk).expire_at is None
    # Refused before Wagtail looked at it: not even "last used" moved.
    assert APIToken.objects.get().last_used_at is None


def test_an_expired_token_on_a_public_read_is_dropped_as_before(client, page, admin):
    token = make_api_token(admin, days=-1)
    assert call(client, "get", f"/api/v3/pages/{page.pk}/", token).status_code == 200


def test_a_scope_does_not_lift_the_users_own_rights(client, page):
    """Wagtail still asks what the user may: a token with every scope for a
    user who may only enter the admin deletes, publishes and schedules
    nothing."""
    user = WagtailTestUtils.create_user("inloggning", password=PASSWORD)
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    token = make_api_token(user)
    before = page_state(page)

    for method, path, body in (
        ("delete", f"/api/v3/pages/{page.pk}/", None),
        ("post", f"/api/v3/pages/{page.pk}/actions/publish/", {}),
        ("put", f"/api/v3/schedule/pages/{page.pk}/", {"expire_at": f"{NEXT_YEAR}-03-01"}),
    ):
        response = call(client, method, path, token, body)
        assert response.status_code in (403, 404), (method, path, response.status_code)
        assert "saknar behörigheten" not in response.json()["detail"]
    assert page_state(page) == before


def test_a_token_without_a_grant_is_refused(client, page, admin):
    """Wagtail's own `api_tokens create` makes a token that knows no scope."""
    _, token = APIToken.create_token(user=admin, name="utan behörigheter")
    response = call(client, "get", f"/api/v3/schedule/pages/{page.pk}/", token)
    assert response.status_code == 403
    assert response.json()["detail"].startswith("Token har inga behörigheter.")


def test_an_unknown_or_revoked_token_is_wagtails_401(client, page, admin):
    token = make_api_token(admin)
    APIToken.objects.get().revoke()
    for secret in (token, "wagtail_okand", "nonsens"):
        response = call(client, "get", f"/api/v3/schedule/pages/{page.pk}/", secret)
        assert response.status_code == 401
        assert response.json()["detail"].startswith("Inloggning krävs")


# The scope table and the document


def operations(document):
    for path, items in document["paths"].items():
        for method, operation in items.items():
            yield method, path, operation


@pytest.fixture
def document(client, db):
    response = client.get("/api/v3/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_document_declares_each_operations_scope(document):
    validate(document)
    declared = {
        (method, path): operation["security"]
        for method, path, operation in operations(document)
        if "security" in operation
    }
    assert declared[("put", "/api/v3/schedule/pages/{page_id}/")] == [
        {"BearerTokenAuth": ["schedule"]}
    ]
    assert declared[("get", "/api/v3/schedule/contacts/{contact_id}/")] == [
        {"BearerTokenAuth": ["schedule"]}
    ]
    for key in (
        ("post", "/api/v3/pages/"),
        ("patch", "/api/v3/pages/{page_id}/"),
        ("delete", "/api/v3/pages/{page_id}/"),
        ("post", "/api/v3/pages/{page_id}/actions/publish/"),
        ("post", "/api/v3/pages/{page_id}/actions/move/"),
        ("post", "/api/v3/pages/{page_id}/actions/revert/"),
    ):
        assert declared[key] == [{"BearerTokenAuth": ["pages"]}], key
    assert declared[("get", "/api/v3/pages/{page_id}/revisions/")] == [
        {"BearerTokenAuth": ["drafts"]}
    ]
    put = document["paths"]["/api/v3/schedule/pages/{page_id}/"]["put"]
    assert "behörigheten `schedule`" in put["description"]
    assert "`schedule`" in put["responses"]["403"]["description"]
    assert "gått ut" in put["responses"]["401"]["description"]


def test_every_operation_that_takes_only_a_token_needs_a_scope(document):
    """A route Wagtail adds later, or one of ours, cannot slip past the table:
    whatever the document says needs a token names a scope."""
    for method, path, operation in operations(document):
        security = operation.get("security", [])
        if not security or {} in security:
            continue  # public: a read drops its token
        roles = [role for requirement in security for role in requirement.values()]
        assert all(roles), (method, path, security)
        assert {scope for names in roles for scope in names} <= set(SCOPES), (method, path)


@pytest.mark.parametrize(
    "method, path, scope",
    [
        ("GET", "/api/v3/schedule/pages/4/", "schedule"),
        ("PUT", "/api/v3/schedule/contacts/4/", "schedule"),
        ("POST", "/api/v3/releases/", "schedule"),
        ("GET", "/api/v3/pages/4/revisions/", "drafts"),
        ("HEAD", "/api/v3/pages/4/revisions/9/", "drafts"),
        # The router takes these as page 4 and 10 (pydantic's int()).
        ("GET", "/api/v3/pages/+4/revisions/", "drafts"),
        ("GET", "/api/v3/pages/1_0/revisions/", "drafts"),
        ("GET", "/api/v3/pages/4.0/revisions/9/", "drafts"),
        ("POST", "/api/v3/pages/4/actions/revert/", "pages"),
        ("DELETE", "/api/v3/pages/4/", "pages"),
        ("POST", "/api/v3/pages/", "pages"),
        ("GET", "/api/v3/pages/4/", None),
        ("GET", "/api/v3/pages/", None),
        ("POST", "/api/v3/feedback/", None),
    ],
)
def test_one_table_names_the_scope_of_each_operation(method, path, scope):
    assert required_scope(method, path) == scope
    assert {rule[2] for rule in RULES} == set(SCOPES)


# Where tokens come from


def grant_existing_tokens():
    migration = importlib.import_module("headless.migrations.0002_grant_existing_tokens")
    return migration.grant_existing_tokens


def test_tokens_made_before_scopes_keep_their_rights_for_90_days(client, page, admin):
    _, old = APIToken.create_token(user=admin, name="från förr")
    APIToken.create_token(user=admin, name="återkallad")
    APIToken.objects.get(name="återkallad").revoke()
    new = make_api_token(admin, "drafts", name="ny")
    new_grant = APITokenGrant.objects.get(token__name="ny")
    start = timezone.now()

    grant_existing_tokens()(apps, None)

    grant = APITokenGrant.objects.get(token__name="från förr")
    assert grant.scopes == ["schedule", "pages", "drafts"]
    ninety = timedelta(days=90)
    assert start + ninety - timedelta(minutes=1) <= grant.expires_at <= timezone.now() + ninety
    # A grant made since is left as it was.
    assert APITokenGrant.objects.get(token__name="ny").scopes == new_grant.scopes == ["drafts"]
    assert APITokenGrant.objects.count() == 3
    # The old token does what it did: its user's rights, on every scope.
    assert call(client, "get", f"/api/v3/schedule/pages/{page.pk}/", old).status_code == 200
    assert call(client, "get", revision_paths(page)[0], old).status_code == 200
    assert call(client, "get", revision_paths(page)[0], new).status_code == 200
    # And the admin shows when it ends.
    client.force_login(admin)
    listing = client.get(reverse("wagtailusers_api_tokens:index")).content.decode()
    assert "schedule, pages, drafts" in listing


def run_command(*args):
    out = io.StringIO()
    call_command("create_api_token", *args, stdout=out)
    return out.getvalue().splitlines()


def test_the_command_prints_a_working_token_as_its_last_line(client, page, admin):
    lines = run_command("admin", "--scope", "schedule", "--days", "7")

    token = lines[-1]
    assert token.startswith("wagtail_") and " " not in token
    assert call(client, "get", f"/api/v3/schedule/pages/{page.pk}/", token).status_code == 200
    assert call(client, "delete", f"/api/v3/pages/{page.pk}/", token).status_code == 403
    grant = APITokenGrant.objects.get()
    assert grant.scopes == ["schedule"]
    assert timedelta(days=6) < grant.expires_at - timezone.now() <= timedelta(days=7)


def test_the_command_gives_several_scopes_and_the_default_expiry(settings, admin):
    settings.API_TOKEN_DEFAULT_DAYS = 30
    run_command("admin", "--scope", "drafts", "--scope", "pages")
    grant = APITokenGrant.objects.get()
    assert grant.scopes == ["pages", "drafts"]
    assert timedelta(days=29) < grant.expires_at - timezone.now() <= timedelta(days=30)


@pytest.mark.parametrize(
    "args, message",
    [
        (["ingen", "--scope", "pages"], "Användaren ”ingen” finns inte."),
        (["admin", "--scope", "allt"], "Okänd behörighet: allt."),
        (["admin"], "Ange minst en behörighet med --scope"),
        (["admin", "--scope", "pages", "--days", "0"], "--days ska vara ett helt antal dagar"),
        (["admin", "--scope", "pages", "--days", "tio"], "--days ska vara ett helt antal dagar"),
        (["besokare", "--scope", "pages"], "får inte använda administrationen"),
    ],
)
def test_the_command_refuses_in_swedish(admin, args, message):
    WagtailTestUtils.create_user("besokare", password=PASSWORD)  # no admin access
    with pytest.raises(CommandError, match=message.replace("-", r"\-")):
        run_command(*args)
    assert not APIToken.objects.exists()


# The admin's screens

EXPIRED_TAG = re.compile(r'class="w-status[^"]*">\s*Utgången\s*</span>')


def test_the_admin_creates_a_token_with_its_scopes_and_expiry(client, page, admin):
    client.force_login(admin)
    form = client.get(reverse("wagtailusers_api_tokens:add")).content.decode()
    assert "Behörigheter" in form and "Går ut" in form

    response = client.post(
        reverse("wagtailusers_api_tokens:add"),
        {
            "name": "Schemaläggaren",
            "user": admin.pk,
            "scopes": ["schedule", "drafts"],
            "expires_at": f"{NEXT_YEAR}-06-30 17:00",
        },
    )

    assert response.status_code == 200, response.content
    grant = APITokenGrant.objects.select_related("token").get()
    assert grant.token.name == "Schemaläggaren"
    assert grant.scopes == ["schedule", "drafts"]
    assert timezone.localtime(grant.expires_at).strftime("%Y-%m-%d %H:%M") == (
        f"{NEXT_YEAR}-06-30 17:00"
    )
    token = response.context["token"]
    assert call(Client(), "get", f"/api/v3/schedule/pages/{page.pk}/", token).status_code == 200
    assert call(Client(), "delete", f"/api/v3/pages/{page.pk}/", token).status_code == 403


@pytest.mark.parametrize(
    "change, error",
    [
        ({"scopes": []}, "Välj minst en behörighet."),
        ({"scopes": ["allt"]}, "Okänd behörighet: allt."),
        ({"expires_at": "2020-01-01 00:00"}, "Välj en tidpunkt som inte har passerat."),
        ({"expires_at": "i morgon"}, "Ange datum och tid."),
    ],
)
def test_the_admin_refuses_a_token_without_scopes_or_with_a_past_expiry(
    client, admin, change, error
):
    client.force_login(admin)
    data = {"name": "t", "user": admin.pk, "scopes": ["pages"], "expires_at": f"{NEXT_YEAR}-01-01"}
    response = client.post(reverse("wagtailusers_api_tokens:add"), {**data, **change})
    assert error in response.content.decode()
    assert not APIToken.objects.exists()


def test_the_admin_edits_scopes_and_expiry_and_shows_an_expired_token(client, admin):
    make_api_token(admin, "schedule", name="gammal")
    token = APIToken.objects.get()
    client.force_login(admin)
    edit = reverse("wagtailusers_api_tokens:edit", args=[token.pk])
    page = client.get(edit).content.decode()
    assert re.search(r'value="schedule"[^>]*checked', page)
    assert not re.search(r'value="pages"[^>]*checked', page)

    response = client.post(
        edit,
        {"name": "gammal", "scopes": ["pages", "drafts"], "expires_at": f"{NEXT_YEAR}-02-01 08:00"},
    )

    assert response.status_code == 302, response.content
    grant = APITokenGrant.objects.get()
    assert grant.scopes == ["pages", "drafts"]
    assert grant.expires_at.year == NEXT_YEAR

    index = reverse("wagtailusers_api_tokens:index")
    listing = client.get(index).content.decode()
    assert "pages, drafts" in listing and not EXPIRED_TAG.search(listing)
    assert "Utgången" not in client.get(edit).content.decode()

    APITokenGrant.objects.update(expires_at=timezone.now() - timedelta(days=1))
    assert EXPIRED_TAG.search(client.get(index).content.decode())
    assert "Utgången" in client.get(edit).content.decode()
    # Renaming an expired token leaves its expiry as it was.
    expires_at = APITokenGrant.objects.get().expires_at
    shown = timezone.localtime(expires_at).strftime("%Y-%m-%d %H:%M")
    data = {"name": "omdöpt", "scopes": ["pages"], "expires_at": shown}
    assert client.post(edit, data).status_code == 302
    assert APIToken.objects.get().name == "omdöpt"


def test_the_listing_costs_the_same_for_one_token_and_many(client, admin):
    client.force_login(admin)
    index = reverse("wagtailusers_api_tokens:index")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(index).status_code == 200
        return len(captured)

    make_api_token(admin, name="första")
    one = queries()
    for number in range(5):
        make_api_token(admin, "pages", name=f"token {number}")
    assert queries() == one


def test_the_listing_filters_the_expired_tokens(client, admin):
    make_api_token(admin, name="gäller", days=30)
    make_api_token(admin, name="förbrukad", days=-1)
    client.force_login(admin)
    index = reverse("wagtailusers_api_tokens:index")

    expired = client.get(index, {"expired": "true"}).content.decode()
    valid = client.get(index, {"expired": "false"}).content.decode()

    assert "förbrukad" in expired and "gäller" not in expired
    assert "gäller" in valid and "förbrukad" not in valid
