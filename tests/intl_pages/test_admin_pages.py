"""Creating a page in the Swedish admin from every kind of block.

Everything goes through Wagtail's own views with the form data a browser
posts (tests/intl_pages/admin_forms.py builds it): editors save drafts and
submit them for moderation, moderators publish, and only the home page takes
an international page.
"""

from django.conf import settings
from django.urls import reverse
from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase

from intl_pages.demo import load_demo
from intl_pages.models import Contact, HomePage, InternationalPage

from .admin_forms import (
    PARAGRAPH,
    PARTNERSHIP,
    TOWN,
    add_url,
    edit_url,
    field_input,
    make_user,
    page_form,
    plain,
)
from .towns import ENDED_TOWN


def assert_every_block_saved(page, contacts):
    """`page` holds what `page_form(contacts)` posted, block by block."""
    assert [block.block_type for block in page.body] == [
        "heading",
        "paragraph",
        "bullet_list",
        "twin_town",
        "twin_town",
        "partnership",
        "contacts",
    ]
    heading, paragraph, bullets, town, ended, partnership, contact_block = page.body
    assert heading.value == "Våra vänorter"
    assert plain(paragraph.value) == PARAGRAPH
    assert plain(bullets.value) == {"items": ["Skolutbyten", "Kultur"]}
    assert plain(town.value) == TOWN
    assert plain(ended.value) == ENDED_TOWN
    assert plain(partnership.value) == PARTNERSHIP
    assert plain(contact_block.value) == {"heading": "Kontakt", "contacts": contacts}


class TestCreatingAPage(WagtailPageTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.home = load_demo()
        cls.contacts = list(Contact.objects.order_by("name"))
        cls.editor = make_user("redaktor", "Editors")
        cls.moderator = make_user("moderator", "Moderators")

    def test_the_international_page_goes_under_the_home_page_only(self):
        self.assertAllowedParentPageTypes(InternationalPage, {HomePage})
        self.assertAllowedSubpageTypes(InternationalPage, {})

        # The admin holds to it, even for an administrator: the add view
        # under another international page, or under Wagtail's root, sends
        # them back to the dashboard and creates nothing.
        self.client.force_login(make_user("admin", superuser=True))
        demo_page = InternationalPage.objects.get(locale__language_code="sv")
        pages_before = Page.objects.count()
        for parent in (demo_page, Page.get_first_root_node()):
            with self.subTest(parent=parent.title):
                self.assertRedirects(
                    self.client.get(add_url(parent)),
                    reverse("wagtailadmin_home"),
                    fetch_redirect_response=False,
                )
                response = self.client.post(add_url(parent), page_form(self.contacts))
                self.assertRedirects(
                    response, reverse("wagtailadmin_home"), fetch_redirect_response=False
                )
        self.assertEqual(Page.objects.count(), pages_before)
        self.assertFalse(InternationalPage.objects.filter(slug="vanorter-i-europa").exists())

    def test_an_editor_creates_a_draft_from_every_kind_of_block(self):
        self.client.force_login(self.editor)
        form = self.client.get(add_url(self.home))
        self.assertEqual(form.status_code, 200)
        # Editors never see the owner address, not even on a new page...
        self.assertIsNone(field_input(form, "owner_email"))

        # ...and what they post for it is ignored.
        data = page_form(self.contacts, owner_email="evil@example.org")
        self.assertCanCreate(self.home, InternationalPage, data, publish=False)

        page = InternationalPage.objects.get(slug="vanorter-i-europa")
        self.assertEqual(page.get_parent().specific, self.home)
        self.assertFalse(page.live)
        self.assertEqual(page.owner, self.editor)
        # The required owner address falls back on the web team's address.
        self.assertEqual(page.owner_email, settings.DEFAULT_PAGE_OWNER_EMAIL)
        assert_every_block_saved(page, self.contacts)

        revision = page.latest_revision
        self.assertEqual(revision.user, self.editor)
        draft = revision.as_object()
        self.assertEqual(draft.owner_email, settings.DEFAULT_PAGE_OWNER_EMAIL)
        assert_every_block_saved(draft, self.contacts)

    def test_an_editor_previews_a_page_not_yet_saved(self):
        """Wagtail's preview of the add form renders a page without an id:
        the feedback widget, whose form posts to the page's id, is left out
        (there is nothing to answer yet) instead of failing the preview."""
        self.client.force_login(self.editor)
        preview_url = reverse(
            "wagtailadmin_pages:preview_on_add",
            args=["intl_pages", "internationalpage", self.home.pk],
        )
        pages_before = Page.objects.count()

        checked = self.client.post(preview_url, page_form(self.contacts))
        self.assertEqual(checked.json(), {"is_valid": True, "is_available": True})
        shown = self.client.get(preview_url)

        self.assertEqual(shown.status_code, 200)
        self.assertContains(shown, "Vänorter i Europa")
        self.assertNotContains(shown, 'id="feedback"')
        self.assertEqual(Page.objects.count(), pages_before)

    def test_an_editor_submits_a_new_page_for_moderation(self):
        self.client.force_login(self.editor)
        data = page_form(self.contacts, **{"action-submit": "action-submit"})
        response = self.client.post(add_url(self.home), data)
        self.assertRedirects(response, reverse("wagtailadmin_explore", args=[self.home.pk]))

        page = InternationalPage.objects.get(slug="vanorter-i-europa")
        self.assertFalse(page.live)
        self.assertEqual(page.current_workflow_state.status, "in_progress")
        assert_every_block_saved(page.latest_revision.as_object(), self.contacts)

    def test_an_editor_cannot_publish_a_new_page(self):
        self.client.force_login(self.editor)
        data = page_form(self.contacts, **{"action-publish": "action-publish"})
        response = self.client.post(add_url(self.home), data)

        page = InternationalPage.objects.get(slug="vanorter-i-europa")
        # Wagtail saves a draft instead and stays in the editor.
        self.assertRedirects(response, edit_url(page))
        self.assertFalse(page.live)

    def test_a_moderator_publishes_a_new_page_with_its_owner(self):
        self.client.force_login(self.moderator)
        form = self.client.get(add_url(self.home))
        self.assertIsNotNone(field_input(form, "owner_email"))

        data = page_form(self.contacts, owner_email="kultur@lidkoping.se")
        self.assertCanCreate(self.home, InternationalPage, data, publish=True)

        page = InternationalPage.objects.get(slug="vanorter-i-europa")
        self.assertTrue(page.live)
        self.assertEqual(page.owner_email, "kultur@lidkoping.se")
        assert_every_block_saved(page, self.contacts)

        self.client.logout()
        html = self.client.get(page.url).content.decode()
        for text in ("Kecskemét", "Bács-Kiskun", "Xindu District", "3–8", "kultur@lidkoping.se"):
            self.assertIn(text, html)
        for contact in self.contacts:
            self.assertIn(contact.phone, html)
