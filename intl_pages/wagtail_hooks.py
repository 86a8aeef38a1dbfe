from wagtail import hooks
from wagtail.admin import messages
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import Contact
from .translations import compare_url, source_changes


class ContactViewSet(SnippetViewSet):
    model = Contact
    icon = "user"
    menu_label = "Kontaktpersoner"
    menu_order = 200
    add_to_admin_menu = True
    list_display = ["name", "title", "unit", "email"]
    list_filter = ["unit", "live"]
    copy_view_enabled = False


register_snippet(ContactViewSet)


@hooks.register("before_edit_page")
def tell_of_source_changes(request, page):
    """On the edit view of a translation: the Swedish page has changed since
    the translation was last updated, with a link to what changed."""
    if request.method != "GET":
        return None
    changed = source_changes(page)
    if changed is None:
        return None
    source, then = changed
    messages.warning(
        request,
        "Den svenska sidan har ändrats sedan översättningen senast uppdaterades.",
        buttons=[
            messages.button(compare_url(source, then), "Se vad som har ändrats"),
        ],
    )
    return None
