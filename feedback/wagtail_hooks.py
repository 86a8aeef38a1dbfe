from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import OwnerMailbox


class OwnerMailboxViewSet(SnippetViewSet):
    """How often each owner address gets its digest (daily unless set here)."""

    model = OwnerMailbox
    icon = "mail"
    menu_label = "Mottagare av sidrespons"
    menu_order = 300
    add_to_settings_menu = True
    list_display = ["email", "frequency"]
    list_filter = ["frequency"]
    search_fields = ["email"]
    copy_view_enabled = False


register_snippet(OwnerMailboxViewSet)
