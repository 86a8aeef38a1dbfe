"""What the webhooks app says happened, for `tasks` to act on.

`deliveries_due` is sent, inside the transaction that wrote or reset the
rows, with the ids of deliveries that may be attempted now (a change's
outbox rows, a delivery an editor sends again). The receiver in
tasks/webhooks.py queues them once the transaction commits; the beat sweep
finds any that a lost message left behind.
"""

from django.dispatch import Signal

deliveries_due = Signal()
