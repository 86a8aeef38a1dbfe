"""Only moderators and administrators change a page's owner address
("Sidansvarig", `owner_email`): it receives the visitors' feedback and the
contact details they leave. Editors neither see the field nor change it by
posting it."""

import pytest
from django.contrib.auth.models import Group, Permission

from intl_pages.models import InternationalPage

from . import admin_forms
from .admin_forms import DEMO_OWNER, edit_form_data, edit_url, field_input, plain

# The admin's users, as fixtures of this module.
editor = admin_forms.editor
editor_client = admin_forms.editor_client
moderator = admin_forms.moderator
superuser = admin_forms.superuser


def latest_revision(obj):
    return type(obj).objects.get(pk=obj.pk).latest_revision


def body_of(page):
    return [(block.block_type, plain(block.value)) for block in page.body]


def shows_owner_field(client, user, page):
    client.force_login(user)
    response = client.get(edit_url(page))
    assert response.status_code == 200
    assert field_input(response, "introduction") is not None  # the form is there
    return field_input(response, "owner_email") is not None


def test_the_owner_email_permission_belongs_to_moderators_only(
    client, editor, moderator, demo_page
):
    permission = Permission.objects.get(
        content_type__app_label="intl_pages", codename="change_owner_email"
    )
    assert permission.name == "Kan ändra sidansvarig (mottagare av återkoppling)"
    # The migration gave it to Wagtail's Moderators group and to no other.
    assert list(permission.group_set.values_list("name", flat=True)) == ["Moderators"]

    # The admin shows the field by this permission, not by group: ...
    assert shows_owner_field(client, moderator, demo_page)
    assert not shows_owner_field(client, editor, demo_page)

    # ... Moderators without it no longer see the field, ...
    moderators = Group.objects.get(name="Moderators")
    moderators.permissions.remove(permission)
    assert not shows_owner_field(client, moderator, demo_page)

    # ... and Editors granted it do.
    Group.objects.get(name="Editors").permissions.add(permission)
    assert shows_owner_field(client, editor, demo_page)


def test_editor_cannot_see_or_change_the_owner_email(editor_client, editor, demo_page):
    body_before = body_of(demo_page)
    response = editor_client.get(edit_url(demo_page))
    assert response.status_code == 200
    assert field_input(response, "owner_email") is None
    assert field_input(response, "introduction") is not None

    data = edit_form_data(
        editor_client,
        demo_page,
        owner_email="evil@example.org",
        introduction="En ny ingress.",
    )
    response = editor_client.post(edit_url(demo_page), data)
    assert response.status_code == 302

    # The draft was saved (the new introduction) but kept the owner address.
    draft = latest_revision(demo_page)
    assert draft.user == editor
    draft_page = draft.as_object()
    assert draft_page.introduction == "En ny ingress."
    assert draft_page.owner_email == DEMO_OWNER
    assert body_of(draft_page) == body_before
    live = InternationalPage.objects.get(pk=demo_page.pk)
    assert live.owner_email == DEMO_OWNER
    assert live.has_unpublished_changes
    assert {revision.content["owner_email"] for revision in demo_page.revisions.all()} == {
        DEMO_OWNER
    }


@pytest.mark.parametrize("role", ["moderator", "superuser"])
def test_moderators_and_administrators_change_the_owner_email(client, demo_page, role, request):
    user = request.getfixturevalue(role)
    body_before = body_of(demo_page)
    client.force_login(user)
    response = client.get(edit_url(demo_page))
    assert field_input(response, "owner_email")["value"] == DEMO_OWNER

    data = edit_form_data(
        client,
        demo_page,
        owner_email="internationellt@lidkoping.se",
        **{"action-publish": "action-publish"},
    )
    response = client.post(edit_url(demo_page), data)
    assert response.status_code == 302

    revision = latest_revision(demo_page)
    assert revision.user == user
    assert revision.as_object().owner_email == "internationellt@lidkoping.se"
    live = InternationalPage.objects.get(pk=demo_page.pk)
    assert live.live_revision == revision
    assert live.owner_email == "internationellt@lidkoping.se"
    # The body went through the form unchanged.
    assert body_of(live) == body_before
    client.logout()
    assert "internationellt@lidkoping.se" in client.get(live.url).content.decode()
