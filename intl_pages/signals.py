"""The content's own signals, for whoever shows the content elsewhere (the
change events, hence the cache and the webhooks) without the content
knowing them. Both are sent inside the transaction of the change."""

from django.dispatch import Signal

# A page's "Senast uppdaterad" moved forward by itself, not as part of a
# change that is announced on its own (a page's publish, a contact's change):
# the reconcile sweep, a script. Sent with `page_id` and `updated_at`.
stamp_moved = Signal()

# What a visitor sees of a contact changed: sent with `contact_id`,
# `page_ids` (the live pages that show it, whose stamps moved with it),
# `published` (True for a publish, False for an unpublish or an expiry) and
# `at`, once per change, with the pages found once.
contact_changed = Signal()

# A page or a contact was reviewed ("Granskad"): sent with `page_ids` (the
# page itself; none for a contact, whose review no page shows), `contact_id`
# (for a contact) and `at`, inside the review's transaction.
reviewed = Signal()
