"""The Celery configuration says what runs: every route and beat entry names a
task that exists, the names do not depend on module paths, and the time
limits and retry policy that the settings and `tasks.base` give are the ones
the tasks run with."""

import pytest
from celery import current_app
from django.conf import settings

from tasks.base import PipelineTask, RetryingTask


def project_tasks():
    return {name: task for name, task in current_app.tasks.items() if name.startswith("tasks.")}


def test_the_project_tasks_are_registered():
    assert set(project_tasks()) == {
        "tasks.publish_revision",
        "tasks.publish_revisions",
        "tasks.expire_object",
        "tasks.expire_objects",
        "tasks.sweep_schedule",
        "tasks.resend_unsent",
        "tasks.reconcile_stamps",
        "tasks.run_wagtail_task",
        "tasks.run_wagtail_tasks",
        "tasks.sweep_feedback_digests",
        "tasks.send_feedback_digest",
        "tasks.erase_expired_feedback_data",
        "tasks.deliver_webhook",
        "tasks.sweep_webhook_deliveries",
        "tasks.erase_old_webhook_logs",
        "tasks.purge_frontend_cache",
        "tasks.mail_schedule_failure",
        "tasks.apply_release",
    }


@pytest.mark.parametrize("name", sorted(settings.CELERY_TASK_ROUTES))
def test_every_route_names_a_registered_task(name):
    assert name in current_app.tasks


@pytest.mark.parametrize("entry", sorted(settings.CELERY_BEAT_SCHEDULE))
def test_every_beat_entry_names_a_registered_task(entry):
    assert settings.CELERY_BEAT_SCHEDULE[entry]["task"] in current_app.tasks


@pytest.mark.parametrize("name", sorted(settings.CELERY_TASK_ANNOTATIONS))
def test_every_annotation_names_a_registered_task(name):
    assert name in current_app.tasks


def test_names_are_explicit_not_module_paths():
    for name, task in project_tasks().items():
        module_path = f"{task.run.__module__}.{task.run.__name__}"
        assert name != module_path, f"{name}: give it an explicit name"
        assert name == f"tasks.{task.run.__name__}"


def test_every_task_acknowledges_late_and_has_the_settings_time_limits():
    annotated = settings.CELERY_TASK_ANNOTATIONS
    for name, task in project_tasks().items():
        assert task.acks_late and task.reject_on_worker_lost, name
        limits = annotated.get(name, {})
        soft = limits.get("soft_time_limit", settings.CELERY_TASK_SOFT_TIME_LIMIT)
        hard = limits.get("time_limit", settings.CELERY_TASK_TIME_LIMIT)
        assert (task.soft_time_limit, task.time_limit) == (soft, hard), name
        assert task.soft_time_limit < task.time_limit, name


def test_every_task_logs_its_failure_and_only_single_object_tasks_retry_on_their_own():
    retrying = {"tasks.publish_revision", "tasks.expire_object"}
    retrying.add("tasks.run_wagtail_task")
    retrying.add("tasks.purge_frontend_cache")
    retrying.add("tasks.mail_schedule_failure")
    retrying.add("tasks.apply_release")  # one release, its claim makes a retry harmless
    for name, task in project_tasks().items():
        assert isinstance(task, PipelineTask), name
        assert isinstance(task, RetryingTask) == (name in retrying), name
        if name in retrying:
            assert task.autoretry_for == (Exception,) and task.max_retries == 8, name
        else:
            assert not getattr(task, "autoretry_for", ()), name
