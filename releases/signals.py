"""What the releases app says happened, for whoever shows it elsewhere (the
webhooks) without the release knowing them. Both are sent inside the
transaction that changed the release's state, so that what a receiver writes
commits or rolls back with it.

release_published: `release` (applied), `items` (its ReleaseItem rows),
    `page_ids` (the live pages whose content visitors see changed).
release_failed: `release`, with its `failure_reasons`.
release_scheduled: `release`, just scheduled or moved.
"""

from django.dispatch import Signal

release_published = Signal()
release_failed = Signal()

# Sent with `release` inside the transaction that scheduled or moved it, so
# that the pipeline queues it to the second once that commits.
release_scheduled = Signal()
