"""The content's own signals, for whoever shows the content elsewhere (the
cache, the webhooks) without the content knowing them."""

from django.dispatch import Signal

# A page's "Senast uppdaterad" moved forward: sent with `page_id` and
# `updated_at`, inside the transaction that moved it.
stamp_moved = Signal()
