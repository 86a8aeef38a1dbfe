"""A broker message can name any code (issue 14): the worker runs only the
tasks an installed app registers (Wagtail's `@task`s), looks the path up
instead of importing it, and drops what it refuses, logged at ERROR and not
retried. With a real worker process on the test database."""

import logging
import time

import pytest
from django.core.files.storage import default_storage
from wagtail.models import ReferenceIndex

from intl_pages.models import InternationalPage
from tasks import wagtail_work
from tests.tasks import conftest as pipeline
from tests.tasks.support import QUEUES, requires_postgresql, wait_until

# The pipeline tests' fixtures: the test page, committed; the broker's and
# the cache's Redis, emptied; worker processes started on demand.
broker, cache_redis, content_tx, page_tx, worker_process = (
    pipeline.broker,
    pipeline.cache_redis,
    pipeline.content_tx,
    pipeline.page_tx,
    pipeline.worker_process,
)

CANARY = "tests.security.worker_canary.run"
REFERENCE_INDEX = "wagtail.tasks.update_reference_index_task"
DELETE_FILE = "wagtail.tasks.delete_file_from_storage_task"


def indexed(page):
    return ReferenceIndex.objects.filter(object_id=str(page.pk)).exists()


def nothing_in_flight(broker):
    """No message waits in a queue or is held by a worker (a retry waiting
    for its countdown is held, unacknowledged)."""
    return not any(broker.llen(queue) for queue in QUEUES) and not broker.hlen("unacked")


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_message_naming_code_outside_the_registry_runs_nothing(
    page_tx, broker, worker_process, tmp_path, monkeypatch
):
    monkeypatch.setenv("WORKER_CANARY_DIR", str(tmp_path))
    touched = tmp_path / "system"
    command = f"touch {touched}"
    page = InternationalPage.objects.get(pk=page_tx.pk)
    ReferenceIndex.objects.filter(object_id=str(page.pk)).delete()
    worker = worker_process()

    # One message per item, as a retry sends it...
    wagtail_work.run_wagtail_task.delay("os.system", [command], {})
    wagtail_work.run_wagtail_task.delay(CANARY, [], {})
    # ...and one transaction's batch, Wagtail's own work among the refused.
    wagtail_work.run_wagtail_tasks.delay(
        [
            ["subprocess.check_call", [["touch", str(touched)]], {}],
            [CANARY, [], {}],
            # A registered task that would import what its argument names.
            [DELETE_FILE, [["os.system", [command], {}], "x"], {}],
            [REFERENCE_INDEX, ["intl_pages", "internationalpage", str(page.pk)], {}],
        ]
    )
    wagtail_work.run_wagtail_tasks.delay([["not", "a", "triple", "item"], "nor-this"])

    wait_until(lambda: indexed(page), what="Wagtail's task in the batch to run")
    wait_until(lambda: worker.output().count("ERROR") >= 7, what="the refusals in the log")
    time.sleep(3)  # past the 2 s countdown a retry would have
    assert nothing_in_flight(broker)
    assert not touched.exists()
    assert not (tmp_path / "imported").exists() and not (tmp_path / "ran").exists()
    log = worker.output()
    errors = [line for line in log.splitlines() if "ERROR" in line]
    for path in ("os.system", CANARY, "subprocess.check_call", DELETE_FILE):
        assert any(f"Bakgrundsjobbet '{path}' kördes inte" in line for line in errors), path
    assert command not in log  # the path is logged, not the arguments
    assert "försöker igen" not in log


def test_the_registry_holds_the_tasks_of_the_installed_apps():
    assert set(wagtail_work.registered_tasks()) == {
        "wagtail.tasks.update_reference_index_task",
        "wagtail.tasks.delete_file_from_storage_task",
        "wagtail.images.tasks.set_image_focal_point_task",
        "modelsearch.tasks.insert_or_update_object_task",
    }


def test_a_file_is_deleted_only_from_a_configured_storage(caplog):
    configured = list(default_storage.deconstruct())
    assert wagtail_work.allowed_task(DELETE_FILE, [configured, "original_images/x.jpg"], {})
    elsewhere = [configured[0], [], {"location": "/"}]
    with caplog.at_level(logging.ERROR, logger="tasks.wagtail_work"):
        assert wagtail_work.allowed_task(DELETE_FILE, [elsewhere, "etc/passwd"], {}) is None
        assert wagtail_work.allowed_task(REFERENCE_INDEX, ["intl_pages"], {}) is None
    assert [record.levelno for record in caplog.records] == [logging.ERROR, logging.ERROR]
