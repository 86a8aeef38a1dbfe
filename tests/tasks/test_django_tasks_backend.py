"""Wagtail's own background work (django-tasks) on Celery: tasks.backends.
CeleryBackend hands it to the broker only when the transaction commits, and
a real worker runs it."""

import base64
import json
import threading

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django_tasks import task_backends
from wagtail.models import ReferenceIndex
from wagtail.tasks import update_reference_index_task

from intl_pages.models import Contact, InternationalPage
from tasks.backends import CeleryBackend
from tests.builders import make_contact, stream

from .support import in_process_worker, page_body, queued_messages, wait_until

ON_CELERY = {"default": {"BACKEND": "tasks.backends.CeleryBackend"}}
RUN_WAGTAIL_TASKS = "tasks.run_wagtail_tasks"


def message_args(message):
    """The task arguments in a message on the broker (headers' argsrepr is cut)."""
    return json.loads(base64.b64decode(message["body"]))[0]


def refers_to(contact, page):
    return ReferenceIndex.get_references_to(contact).filter(object_id=str(page.pk)).exists()


@pytest.mark.django_db(transaction=True)
def test_reference_index_update_is_sent_on_commit_and_run_by_the_worker(
    page_tx, kim, sam, broker, task_runs
):
    with override_settings(TASKS=ON_CELERY):
        # django-tasks rebuilds its backends when TASKS changes.
        assert isinstance(task_backends["default"], CeleryBackend)
        assert isinstance(update_reference_index_task.get_backend(), CeleryBackend)

        with transaction.atomic():
            page = InternationalPage.objects.get(pk=page_tx.pk)
            page.body = stream(page_body(sam))
            page.save_revision().publish()
            # Inside the transaction nothing has reached the broker: a worker
            # must not look for rows it cannot see yet.
            assert broker.llen("celery") == 0
        sent = [m for m in queued_messages(broker) if m["headers"]["task"] == RUN_WAGTAIL_TASKS]
        # One message per savepoint level (save_revision and publish each
        # save the page in a savepoint of their own).
        assert 1 <= len(sent) <= 2, [m["headers"]["argsrepr"] for m in sent]
        sent = [{"headers": {"argsrepr": repr(message_args(m))}} for m in sent]
        assert any(
            "wagtail.tasks.update_reference_index_task" in m["headers"]["argsrepr"]
            and f"'internationalpage', '{page.pk}'" in m["headers"]["argsrepr"]
            for m in sent
        ), [m["headers"]["argsrepr"] for m in sent]
        # Not run in the request: the index still has the old contacts.
        assert not refers_to(sam, page)

        with in_process_worker():
            wait_until(lambda: refers_to(sam, page), what="the worker to update the index")
            runs = task_runs.wait_for(RUN_WAGTAIL_TASKS)
    assert all(run.state == "SUCCESS" for run in runs)
    assert not refers_to(kim, page)


@pytest.mark.django_db(transaction=True)
def test_nothing_is_sent_when_the_transaction_rolls_back(page_tx, broker):
    with override_settings(TASKS=ON_CELERY):
        with pytest.raises(RuntimeError), transaction.atomic():
            page = InternationalPage.objects.get(pk=page_tx.pk)
            page.title = "Aldrig sparad"
            page.save_revision().publish()
            raise RuntimeError("the editor's request fails")
    assert broker.llen("celery") == 0
    assert InternationalPage.objects.get(pk=page_tx.pk).title != "Aldrig sparad"


@pytest.mark.django_db(transaction=True)
def test_work_of_a_rolled_back_savepoint_is_not_sent(page_tx, broker):
    """One message per transaction, without what a rolled-back savepoint
    enqueued: that row never existed for the worker."""
    with override_settings(TASKS=ON_CELERY):
        with transaction.atomic():
            kept = Contact.objects.create(
                name="Sam Sparad", title="Handläggare", unit="Samhälle",
                phone="031-390 06 40", email="sam.sparad@example.org",
            )  # fmt: skip
            with pytest.raises(RuntimeError), transaction.atomic():
                Contact.objects.create(
                    name="Ulla Ogjord", title="Handläggare", unit="Samhälle",
                    phone="031-390 06 41", email="ulla.ogjord@example.org",
                )  # fmt: skip
                raise RuntimeError("rolled back")
            assert broker.llen("celery") == 0
    sent = [m for m in queued_messages(broker) if m["headers"]["task"] == RUN_WAGTAIL_TASKS]
    assert len(sent) == 1
    argsrepr = repr(message_args(sent[0]))
    assert f"'contact', '{kept.pk}'" in argsrepr
    assert f"'contact', '{kept.pk + 1}'" not in argsrepr


@pytest.mark.django_db(transaction=True)
def test_one_save_sends_its_work_in_one_message(page_tx, broker):
    with override_settings(TASKS=ON_CELERY), transaction.atomic():
        page = InternationalPage.objects.get(pk=page_tx.pk)
        page.title = "Ett meddelande"
        page.save()
    [message] = queued_messages(broker)
    paths = [path for path, _, _ in message_args(message)[0]]
    assert "wagtail.tasks.update_reference_index_task" in paths
    assert "modelsearch.tasks.insert_or_update_object_task" in paths


@pytest.mark.django_db(transaction=True)
def test_background_work_waits_while_scheduled_publishing_runs(page_tx, cache_redis):
    """During a burst of scheduled publishes, Wagtail's index updates wait:
    the publishes get the CPU and the database first."""
    from django.core.cache import cache

    from tasks.publishing import PUBLISHING_KEY
    from tasks.wagtail_work import run_wagtail_tasks

    page = InternationalPage.objects.get(pk=page_tx.pk)
    sam = make_contact(
        name="Sam Väntar",
        title="Handläggare",
        phone="031-390 06 42",
        email="sam.vantar@example.org",
    )
    page.body = stream(page_body(sam))
    with override_settings(TASKS=ON_CELERY), transaction.atomic():
        page.save_revision().publish()  # the index update is queued, not run
    assert not refers_to(sam, page)

    cache.set(PUBLISHING_KEY, 1, timeout=60)  # a publish is under way
    items = [["wagtail.tasks.update_reference_index_task",
              ["intl_pages", "internationalpage", str(page.pk)], {}]]  # fmt: skip

    def run_in_thread():
        try:
            run_wagtail_tasks(items)
        finally:
            connection.close()

    runner = threading.Thread(target=run_in_thread)
    runner.start()
    try:
        runner.join(timeout=2)
        assert runner.is_alive(), "the background work did not wait"
        assert not refers_to(sam, page)
    finally:
        cache.delete(PUBLISHING_KEY)  # the burst is over
        runner.join(timeout=30)
    assert not runner.is_alive()
    assert refers_to(sam, page)
