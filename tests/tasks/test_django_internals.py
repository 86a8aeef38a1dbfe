"""The Django internals that changes/changeset.py reads, pinned.

`changes.changeset.collect` is the one helper for "one on-commit callback
per transaction": the change set of a transaction (whose commit purges the
caches once and queues one front-end purge) and the django-tasks backend's
batches (tasks/backends.py: the work enqueued at one savepoint level, sent as
one Celery message) both go through it. To find the callback still waiting
for the commit, `waiting` and the backend read undocumented attributes of
the connection (as of Django 5.2, django/db/backends/base/base.py and
django/db/transaction.py):

- `connection.in_atomic_block`: whether an `atomic` block is open (outside
  one, `on_commit` runs the callback at once).
- `connection.savepoint_ids`: the list of the savepoints that `atomic`
  opened and that are still open, innermost last; a nested `atomic()`
  appends its savepoint's id and pops it on exit. A backend batch is keyed
  by `tuple(savepoint_ids)`.
- `connection.run_on_commit`: the list of callbacks waiting for the commit,
  each a tuple `(sids, func, robust)`, where `sids` is the set of the
  savepoint ids open when `on_commit(func)` was called. Rolling back to a
  savepoint drops every callback whose `sids` hold it; the commit of the
  outermost block runs them all and empties the list. `waiting` looks for
  the callback among the `func`s, by type, to tell one still waiting from
  one that was run or discarded.

If a Django upgrade changes any of this, a test here fails and says what
changed; `changes.changeset.waiting` must then be brought in line with the
new Django before the upgrade goes in.
"""

import django
import pytest
from django.db import transaction

BACKEND = "changes/changeset.py (`waiting`, `collect`)"


class Rollback(Exception):
    """Raised to leave an atomic block by rolling it back."""


def pinned(condition, what):
    """Fail, saying which internal changed, unless `condition` holds."""
    if not condition:
        pytest.fail(
            f"An internal of Django that {BACKEND} relies on is not as it was in Django 5.2 "
            f"(this is Django {django.get_version()}): {what}. The backend's batching of "
            "Wagtail's background work must be brought in line with this Django (see this "
            "test module's docstring) before the upgrade goes in.",
            pytrace=False,
        )


def internal(connection, name):
    """`connection.<name>`, failing clearly if Django no longer has it."""
    missing = object()
    value = getattr(connection, name, missing)
    pinned(value is not missing, f"the connection has no attribute `{name}` any more")
    return value


def waiting_callbacks(connection):
    """The `func` of every callback waiting for the commit, checking each
    entry's shape on the way."""
    run_on_commit = internal(connection, "run_on_commit")
    pinned(
        isinstance(run_on_commit, list),
        f"`connection.run_on_commit` is a {type(run_on_commit).__name__}, not a list",
    )
    for entry in run_on_commit:
        pinned(
            isinstance(entry, tuple) and len(entry) == 3,
            f"an entry of `connection.run_on_commit` is {entry!r}, not a "
            "(savepoint ids, func, robust) 3-tuple",
        )
    return [func for _, func, _ in run_on_commit]


def test_a_nested_atomic_block_appends_its_savepoint_to_savepoint_ids(db):
    connection = transaction.get_connection()
    with transaction.atomic():
        before = internal(connection, "savepoint_ids")
        pinned(
            isinstance(before, list),
            f"`connection.savepoint_ids` is a {type(before).__name__}, not a list",
        )
        before = list(before)

        with transaction.atomic():
            inside = list(connection.savepoint_ids)
            pinned(
                len(inside) == len(before) + 1 and inside[:-1] == before,
                f"a nested atomic() turned `connection.savepoint_ids` from {before} into "
                f"{inside}, instead of appending one savepoint id",
            )
            first_sid = inside[-1]
            pinned(
                isinstance(first_sid, str),
                f"a savepoint id is {first_sid!r}, not a string (batches are keyed by them)",
            )
            with transaction.atomic():
                pinned(
                    len(connection.savepoint_ids) == len(inside) + 1,
                    "a second level of nesting did not append a second savepoint id",
                )
            pinned(
                connection.savepoint_ids == inside,
                "leaving the inner atomic() did not pop its savepoint id",
            )

        pinned(
            connection.savepoint_ids == before,
            "leaving the nested atomic() did not pop its savepoint id",
        )
        # A second block at the same depth, in the same transaction, gets an
        # id of its own: the backend's key must not give it the batch of the
        # block before, whose work a rollback of this one must not discard.
        with transaction.atomic():
            pinned(
                connection.savepoint_ids[-1] != first_sid,
                f"two savepoints in one transaction had the same id {first_sid!r}",
            )


def test_on_commit_appends_a_three_tuple_holding_the_callable_itself(db):
    connection = transaction.get_connection()

    class Batch:
        def send(self):
            pass

    batch = Batch()
    send = batch.send  # bound once, as the backend does

    with transaction.atomic():
        start = len(waiting_callbacks(connection))
        transaction.on_commit(send, using=connection.alias, robust=True)

        entries = connection.run_on_commit[start:]
        pinned(
            len(entries) == 1,
            f"on_commit() added {len(entries)} entries to `connection.run_on_commit`, not one",
        )
        waiting_callbacks(connection)  # the shape of every entry
        sids, func, robust = entries[0]
        pinned(
            func is send,
            f"the second element of a `run_on_commit` entry is {func!r}, not the callable "
            "given to on_commit() (the backend finds its batch by identity)",
        )
        pinned(robust is True, f"the third element is {robust!r}, not the `robust` flag")
        pinned(
            sids == set(connection.savepoint_ids),
            f"the first element is {sids!r}, not the set of the open savepoint ids "
            f"{set(connection.savepoint_ids)!r}",
        )


def test_a_rolled_back_savepoint_drops_its_callbacks_and_a_released_one_keeps_them(db):
    connection = transaction.get_connection()

    def released():
        pass

    def rolled_back():
        pass

    def rolled_back_deeper():
        pass

    with transaction.atomic():
        with transaction.atomic():
            transaction.on_commit(released)
        with pytest.raises(Rollback), transaction.atomic():
            transaction.on_commit(rolled_back)
            with transaction.atomic():
                transaction.on_commit(rolled_back_deeper)
            raise Rollback

        waiting = waiting_callbacks(connection)
        pinned(
            any(func is released for func in waiting),
            "a callback registered in a savepoint that was released (its atomic() block "
            "ended normally) is no longer waiting for the commit",
        )
        pinned(
            not any(func is rolled_back for func in waiting),
            "a callback registered in a savepoint that was rolled back still waits for the "
            "commit (the backend would send the work of a rolled-back savepoint)",
        )
        pinned(
            not any(func is rolled_back_deeper for func in waiting),
            "a callback registered in a savepoint nested in one that was rolled back still "
            "waits for the commit",
        )


@pytest.mark.django_db(transaction=True)
def test_the_outermost_commit_runs_the_callbacks_in_order_and_empties_the_list():
    connection = transaction.get_connection()
    ran = []

    pinned(
        internal(connection, "in_atomic_block") is False,
        "`connection.in_atomic_block` is not False outside any atomic() block",
    )
    with transaction.atomic():
        pinned(
            connection.in_atomic_block is True,
            "`connection.in_atomic_block` is not True inside atomic()",
        )
        transaction.on_commit(lambda: ran.append("outer"))
        with transaction.atomic():
            transaction.on_commit(lambda: ran.append("nested"))
        pinned(ran == [], "on_commit() callbacks ran before the commit")

    pinned(ran == ["outer", "nested"], f"the commit ran {ran}, not both callbacks in order")
    pinned(
        internal(connection, "run_on_commit") == [],
        "`connection.run_on_commit` is not empty after the commit (the backend would take "
        "a sent batch for one still waiting)",
    )
    pinned(
        internal(connection, "savepoint_ids") == [],
        "`connection.savepoint_ids` is not empty outside any atomic() block",
    )


def test_the_helper_finds_the_callback_waiting_and_not_one_rolled_back_or_run(db):
    from changes.changeset import OnCommit, collect, waiting

    class Work(OnCommit):
        def __init__(self):
            self.items = []

        def run(self):
            pass

    def add(item):
        return lambda work: work.items.append(item)

    with transaction.atomic():
        first = collect(Work, add(1))
        pinned(collect(Work, add(2)) is first, "a second collect() did not find the first callback")
        pinned(first.items == [1, 2], f"the callback collected {first.items}, not [1, 2]")
        with pytest.raises(Rollback), transaction.atomic():
            inner = collect(Work, add(3), where=lambda work: work is not first)
            raise Rollback
        pinned(
            waiting(Work, where=lambda work: work is inner) is None,
            "a callback of a rolled-back savepoint is still found waiting",
        )
        first()
        pinned(waiting(Work) is None, "a callback that ran is still found waiting")
        pinned(collect(Work, add(4)) is not first, "collect() gave work to a callback that ran")
