"""The admin speaks Swedish: the site's language, whatever the browser asks
for, and every message of the views an editor goes through with a contact."""

import ast
import json
import re
from pathlib import Path

import pytest
import wagtail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from wagtail.test.utils import WagtailTestUtils
from wagtail.users.models import UserProfile

from . import admin_forms

# The admin's users, as fixtures of this module.
contact_editors = admin_forms.contact_editors
editor = admin_forms.editor
editor_client = admin_forms.editor_client


def wagtail_messages(*folders):
    """The literal messages that Wagtail's views in `folders` pass to gettext."""
    root = Path(wagtail.__file__).parent
    for folder in folders:
        for path in sorted((root / folder).glob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", None) in {"_", "gettext", "gettext_lazy"}
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    yield path.name, node.args[0].value


def menu_items(soup):
    """{label: url} of the admin's main menu, which the page hands to the
    sidebar's JavaScript as JSON."""
    items = {}

    def collect(node):
        if isinstance(node, dict):
            if "label" in node and "url" in node:
                items[node["label"]] = node["url"]
            node = list(node.values())
        if isinstance(node, list):
            for child in node:
                collect(child)

    collect(json.loads(soup.find(id="wagtail-sidebar-props").string))
    return items


def test_every_message_of_the_snippet_views_is_in_swedish():
    """The views an editor goes through with a contact (Wagtail's generic
    views): every message in Swedish, from Wagtail's catalogue or the project's."""
    untranslated = []
    with translation.override("sv"):
        for name, message in wagtail_messages("admin/views/generic", "snippets/views"):
            words = re.sub(r"%\(\w+\)s|<[^>]+>", "", message)
            if re.search(r"[A-Za-z]{3}", words) and gettext(message) == message:
                untranslated.append((name, message))
    assert untranslated == []


@pytest.mark.usefixtures("contact_editors")
def test_the_admin_is_in_swedish(editor_client, editor):
    # No language chosen in the profile: the site's language applies, even
    # to a browser that asks for English.
    profile = UserProfile.get_for_user(editor)
    assert profile.preferred_language == ""

    response = editor_client.get(
        reverse("wagtailadmin_home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"
    )

    assert response.status_code == 200
    soup = WagtailTestUtils.get_soup(response.content)
    assert soup.html["lang"] == "sv"
    menu = menu_items(soup)
    assert menu["Kontaktpersoner"] == reverse("wagtailsnippets_intl_pages_contact:list")
    assert menu["Sidor"] == reverse("wagtailadmin_explore_root")  # Wagtail's own, translated

    # An editor who chooses English in the profile gets it: Swedish is the
    # site's choice, and what is read above does tell the languages apart.
    profile.preferred_language = "en"
    profile.save()
    soup = WagtailTestUtils.get_soup(editor_client.get(reverse("wagtailadmin_home")).content)
    assert soup.html["lang"] == "en"
    assert menu_items(soup)["Pages"] == reverse("wagtailadmin_explore_root")
