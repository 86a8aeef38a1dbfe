"""The changes of one transaction, as one change set.

Every change visitors see is added, inside its transaction, to the change
set of that transaction (`announce` in changes/signals.py). The set merges
what one transaction did: the changes of one kind (and, for a contact, of
one contact) are one change naming all their pages, and a stamp moved on a
page that another change of the set already names is no change of its own.
The first change registers the set with `on_commit`; the commit sends
`changes_committed` once, with the whole set:

- the page cache purges once (pagecache/signal_handlers.py);
- the front-end cache gets one task for all the set's pages
  (tasks/frontend_cache.py).

The webhooks cannot wait for the commit: their outbox rows must commit or
roll back with the change. So each accepted change is also sent, in the
transaction, as `visible_change`, with the set's merged change: the
webhooks write the change's rows the first time and rewrite their payload
when a later change of the same transaction merges into it
(webhooks/signal_handlers.py). Their rows are written in the order in which
the set's changes first happened, one per change and endpoint.

A change made in a savepoint that rolls back stays in a set that began
before the savepoint: the purges then cover a little more than changed,
which costs a miss, never a stale page. (A set that began in the savepoint
is dropped with it, as Django drops its callbacks.) Its outbox rows roll
back with the savepoint, and are written again if a later change merges
into it.

`collect` is the one helper for "one on-commit callback per transaction"
(the change set, the django-tasks backend's batches): it finds the callback
still waiting in `connection.run_on_commit`, an internal of Django's that
tests/tasks/test_django_internals.py pins.
"""

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

# Sent once per committed set, after the commit: `changeset`.
changes_committed = Signal()


class OnCommit:
    """A callback that collects work while its transaction runs and does it
    once, at the commit. `ran` tells one that ran (a test's capture of the
    callbacks leaves it in Django's list) from one still waiting."""

    ran = False

    def __call__(self):
        self.ran = True
        self.run()

    def run(self):
        raise NotImplementedError


def waiting(cls, using=None, where=None):
    """The callback of class `cls` (and for which `where` holds) registered
    with `on_commit` in the current transaction and still waiting for its
    commit, or None. Django drops a callback with the savepoint that rolls
    back, so one still in its list will run."""
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        return None
    for _, func, _ in connection.run_on_commit:
        if isinstance(func, cls) and not func.ran and (where is None or where(func)):
            return func
    return None


def collect(cls, add, using=None, make=None, where=None):
    """Give `add` the callback of `cls` that waits for this transaction's
    commit, registering a new one (made by `make`, default `cls()`) when none
    waits. Outside a transaction the new one runs at once, after `add`.
    Robust: a failing callback never undoes or breaks the change itself.
    Returns the callback."""
    found = waiting(cls, using, where)
    if found is not None:
        add(found)
        return found
    callback = (make or cls)()
    add(callback)
    transaction.on_commit(callback, using=using, robust=True)
    return callback


def first_on_commit(func, using=None):
    """Register `func` to run first of the callbacks of this transaction's
    commit, before the work registered earlier (the page cache's fence
    comes down before the follow-up work a large commit sets off). Robust,
    as `collect`'s; outside a transaction it runs at once."""
    connection = transaction.get_connection(using)
    transaction.on_commit(func, using=using, robust=True)
    if connection.in_atomic_block:
        connection.run_on_commit.insert(0, connection.run_on_commit.pop())


@dataclass
class Change:
    """One change of a set: its kind, the pages whose content visitors see
    changed (in the order first named), the contact, when (the latest)."""

    kind: str
    page_ids: list = field(default_factory=list)
    contact_id: int | None = None
    at: object = None

    @property
    def key(self):
        return (self.kind, self.contact_id)


class ChangeSet(OnCommit):
    def __init__(self):
        self.changes = []
        # What the listeners keep of this set while it is open, by listener
        # (the webhooks: the outbox rows of each change).
        self.listeners = {}

    @property
    def page_ids(self):
        """Every page the set names, sorted."""
        return sorted({pk for change in self.changes for pk in change.page_ids})

    @property
    def kinds(self):
        return [change.kind for change in self.changes]

    def add(self, kind, page_ids, contact_id, at, stamp_kind):
        """Add a change; returns the set's (merged) change it went into, or
        None when the set already holds all of it (a stamp moved on a page
        the set names)."""
        page_ids = list(dict.fromkeys(page_ids))
        if kind == stamp_kind and page_ids:
            named = {pk for change in self.changes for pk in change.page_ids}
            page_ids = [pk for pk in page_ids if pk not in named]
            if not page_ids:
                return None
        change = next((c for c in self.changes if c.key == (kind, contact_id)), None)
        if change is None:
            change = Change(kind, page_ids, contact_id, at)
            self.changes.append(change)
            return change
        change.page_ids.extend(pk for pk in page_ids if pk not in change.page_ids)
        change.at = max(change.at, at)
        return change

    def run(self):
        # send_robust: a listener that fails (logged) never keeps the others
        # from acting on a change that has committed.
        for receiver, result in changes_committed.send_robust(sender=ChangeSet, changeset=self):
            if isinstance(result, Exception):
                logger.error(
                    "%r kunde inte hantera en ändring: %r", receiver, result, exc_info=result
                )


def current_changeset(add, using=None):
    """Give `add` the change set of the current transaction (a new one,
    run at once, outside a transaction)."""
    return collect(ChangeSet, add, using=using)
