"""Redis down while editors work and visitors read.

The editor's publish succeeds and the site is served, with the stamps of the
pages that show a changed contact moved in its own transaction; the work
that could not be queued (Wagtail's index updates, front-end purges) waits
in the database and is sent by beat's resend sweep
(`outbox.resend_unsent_tasks`, called here directly) once Redis is back.
"""

import threading

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from intl_pages.models import InternationalPage
from tasks import frontend_cache, outbox
from tasks.models import UnsentTask
from tests.builders import stream
from tests.intl_pages.admin_forms import contact_data, edit_form_data

from .support import (
    PAGE_TITLE,
    fetch_contact,
    fetch_page,
    in_process_worker,
    page_body,
    queued_messages,
    redis_down,
    requires_postgresql,
    task_names,
)
from .test_contacts_and_stamps import rendered, stamp_of
from .test_django_tasks_backend import ON_CELERY, RUN_WAGTAIL_TASKS, refers_to

NEW_PHONE = "0510-77 40 40"
NEW_TITLE = f"{PAGE_TITLE} och vänskapsbroar"
PUBLISH = {"action-publish": "action-publish"}
# A task to keep and resend: any of the pipeline's.
PURGE = "tasks.purge_frontend_cache"


def searched(words):
    return list(InternationalPage.objects.live().search(words))


@pytest.mark.django_db(transaction=True)
def test_editor_publishes_while_redis_is_down_and_nothing_is_lost(
    page_tx, kim, sam, admin_client, broker, cache_redis, task_runs
):
    with override_settings(TASKS=ON_CELERY), redis_down():
        # The editor adds Sam to the page and publishes it ...
        page = fetch_page(page_tx.pk)
        page.body = stream(page_body(kim, sam))
        data = edit_form_data(admin_client, page, title=NEW_TITLE, **PUBLISH)
        response = admin_client.post(reverse("wagtailadmin_pages:edit", args=[page.pk]), data)
        assert response.status_code == 302, response.content.decode()[:2000]
        page_published_at = fetch_page(page_tx.pk).last_published_at

        # ... then publishes Kim's new phone number.
        contact = fetch_contact(kim.pk)
        response = admin_client.post(
            reverse("wagtailsnippets_intl_pages_contact:edit", args=[contact.pk]),
            {**contact_data(contact, phone=NEW_PHONE), **PUBLISH},
        )
        assert response.status_code == 302
        contact = fetch_contact(kim.pk)
        assert contact.phone == NEW_PHONE

        # Visitors get the published page (and the home page, whose links
        # Wagtail builds from the cache), not an error.
        visitor = Client(raise_request_exception=False)
        assert visitor.get("/").status_code == 200
        html, shown = rendered()
        assert NEW_TITLE in html and NEW_PHONE in html and sam.name in html
        # The page's own publish stamped it at once, and so did Kim's
        # change: the stamps move in the change's transaction, no task.
        assert page_published_at < contact.last_published_at == shown

        # The operator's health check says what is wrong.
        health = visitor.get("/healthz/")
        assert health.status_code == 503
        assert health.json()["broker"] is False and health.json()["cache"] is False
        assert health.json()["unsent"] >= 1

    # Nothing is lost: it waits in the database, and Redis has none of it.
    waiting = list(UnsentTask.objects.values_list("task_name", "args"))
    assert RUN_WAGTAIL_TASKS in [name for name, _ in waiting]
    assert queued_messages(broker) == []
    assert not refers_to(sam, page_tx)  # the reference index waits too
    assert searched("vänskapsbroar") == []  # and the search index
    assert stamp_of(page_tx) == contact.last_published_at

    # Redis is back: beat's next resend sweep sends it all, a worker runs it.
    assert outbox.resend_unsent_tasks() == len(waiting)
    with in_process_worker():
        batches = [name for name, _ in waiting].count(RUN_WAGTAIL_TASKS)
        task_runs.wait_for(RUN_WAGTAIL_TASKS, count=batches)

    # Each sent and run once; a second sweep finds nothing to send.
    assert len(task_runs.finished(RUN_WAGTAIL_TASKS)) == batches
    assert not UnsentTask.objects.exists()
    assert outbox.resend_unsent_tasks() == 0
    assert queued_messages(broker) == []
    # What it did: the indexes know the page as published; the stamp says
    # Kim's change.
    assert refers_to(sam, page_tx)
    assert searched("vänskapsbroar") == [fetch_page(page_tx.pk)]
    assert stamp_of(page_tx) == contact.last_published_at
    assert rendered()[1] == contact.last_published_at


@pytest.mark.django_db(transaction=True)
def test_resend_waits_while_redis_is_still_down(page_tx, kim, broker):
    with redis_down():
        outbox.send_or_keep(frontend_cache.purge_frontend_cache, [[page_tx.pk]])
        assert UnsentTask.objects.count() == 1
        assert outbox.resend_unsent_tasks() == 0  # still down: nothing sent, nothing dropped
    assert UnsentTask.objects.count() == 1
    assert outbox.resend_unsent_tasks() == 1
    assert task_names(queued_messages(broker)) == [PURGE]
    assert not UnsentTask.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_task_that_cannot_be_sent_for_another_reason_does_not_hold_up_the_rest(
    page_tx, kim, broker, cache_redis
):
    """A kept task renamed away by a deploy is marked failed, passed by and
    reported; the rest go out."""
    UnsentTask.objects.create(task_name="tasks.renamed_away", args=[1])
    UnsentTask.objects.create(task_name=PURGE, args=[[page_tx.pk]])

    assert outbox.resend_unsent_tasks() == 1
    assert task_names(queued_messages(broker)) == [PURGE]
    [failed] = UnsentTask.objects.all()
    assert failed.task_name == "tasks.renamed_away"
    assert failed.failed_at is not None and "renamed_away" in failed.error
    assert outbox.resend_unsent_tasks() == 0  # passed by from now on

    health = Client().get("/healthz/").json()
    assert health["unsent"] == 0 and health["unsent_failed"] == 1
    assert health["ok"] is False


def test_a_bug_at_send_time_is_raised_not_kept_as_if_redis_were_down(db, broker):
    with pytest.raises(TypeError):
        # Arguments the task does not take: Celery checks them before sending.
        outbox.send_or_keep(frontend_cache.purge_frontend_cache, [1, 2, 3, 4])
    assert not UnsentTask.objects.exists()


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_resend_sweeps_at_once_send_each_task_once(page_tx, kim, broker):
    UnsentTask.objects.bulk_create(UnsentTask(task_name=PURGE, args=[[n]]) for n in range(40))
    start = threading.Barrier(2)
    results = []

    def sweep():
        start.wait()
        try:
            results.append(outbox.resend_unsent_tasks())
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(results) == 40
    messages = queued_messages(broker)
    assert len(messages) == 40
    sent_args = {message["headers"]["argsrepr"] for message in messages}
    assert len(sent_args) == 40  # no task twice
    assert not UnsentTask.objects.exists()
