"""Wagtail's own background work (django-tasks: reference and search index
updates, front-end cache purges, file deletion), run on the Celery workers.
`tasks.backends.CeleryBackend` sends it here once the transaction commits.

A message names its work by the task's module path
(`wagtail.tasks.update_reference_index_task`). The worker runs only a task
that an installed app registers, never whatever the message names: the
registry (`registered_tasks`) is built from the `tasks` modules of the
installed apps (where Wagtail and django-tasks keep their `@task`s), and a
message's path is looked up in it, never imported. A path outside it is
logged at ERROR and dropped, not retried. So are arguments that would make
a registered task import code itself (`ARGUMENT_RULES`). Whoever can write
to the broker can still run Wagtail's tasks with their own ids: the real
lock is the broker's password.
"""

import functools
import inspect
import logging
from importlib import import_module

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.apps import apps
from django.conf import settings
from django.core.files.storage import storages
from django.utils.module_loading import module_has_submodule
from django_tasks.base import Task
from django_tasks.utils import normalize_json

from .base import PipelineTask, RetryingTask
from .publishing import yield_to_publishing

logger = logging.getLogger(__name__)


@functools.cache
def registered_tasks():
    """{module path: task} of every django-tasks task in the `tasks` module
    of an installed app (`wagtail.tasks`, `wagtail.images.tasks`, ...)."""
    found = {}
    for app_config in apps.get_app_configs():
        if module_has_submodule(app_config.module, "tasks"):
            module = import_module(f"{app_config.name}.tasks")
            for value in vars(module).values():
                if isinstance(value, Task):
                    found[value.module_path] = value
    return found


def is_configured_storage(deconstructed):
    """A storage exactly as one of STORAGES is (class and options): the file
    deletion task imports and builds the storage its message names."""
    configured = [normalize_json(storages[alias].deconstruct()) for alias in settings.STORAGES]
    return normalize_json(deconstructed) in configured


# Registered tasks whose arguments name code to import; each rule says which
# arguments may be run.
ARGUMENT_RULES = {
    "wagtail.tasks.delete_file_from_storage_task": (
        lambda arguments: is_configured_storage(arguments["deconstructed_storage"])
    ),
    # The backends' settings, with import paths, come from WAGTAILFRONTENDCACHE.
    "wagtail.contrib.frontend_cache.tasks.purge_urls_from_cache_task": (
        lambda arguments: arguments["backend_settings"] is None
    ),
}


def refusal(task_path, args, kwargs):
    """Why a message's work may not run (None when it may)."""
    if not isinstance(task_path, str) or task_path not in registered_tasks():
        return "inget installerat program registrerar det"
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        return "argumenten har fel form"
    try:
        bound = inspect.signature(registered_tasks()[task_path].func).bind(*args, **kwargs)
    except TypeError:
        return "jobbet tar inte de argumenten"
    bound.apply_defaults()
    rule = ARGUMENT_RULES.get(task_path)
    if rule is not None and not rule(bound.arguments):
        return "argumenten är inte tillåtna"
    return None


def allowed_task(task_path, args, kwargs):
    """The registered task a message names, or None: logged at ERROR (with
    the path, not the arguments) and dropped."""
    reason = refusal(task_path, args, kwargs)
    if reason is not None:
        logger.error(
            "Bakgrundsjobbet %r kördes inte och kastas (%s).", str(task_path)[:200], reason
        )
        return None
    return registered_tasks()[task_path]


@shared_task(name="tasks.run_wagtail_task", base=RetryingTask)
def run_wagtail_task(task_path, args, kwargs):
    task = allowed_task(task_path, args, kwargs)
    if task is None:
        return None  # refused for good: nothing to retry
    return task.call(*args, **kwargs)


@shared_task(name="tasks.run_wagtail_tasks", base=PipelineTask)
def run_wagtail_tasks(items):
    """The work one transaction enqueued, in order. One that fails is queued
    again on its own, with retries, and does not hold up the rest."""
    yield_to_publishing()
    for item in items:
        if not (isinstance(item, list) and len(item) == 3):
            logger.error("Ett bakgrundsjobb i fel form kördes inte och kastas.")
            continue
        task_path, args, kwargs = item
        task = allowed_task(task_path, args, kwargs)
        if task is None:
            continue
        try:
            task.call(*args, **kwargs)
        except SoftTimeLimitExceeded:
            raise  # out of time: the hard limit must not cut the next item in half
        except Exception:
            logger.exception("Bakgrundsjobbet %s misslyckades; försöker igen.", task_path)
            run_wagtail_task.apply_async(args=[task_path, args, kwargs], countdown=2)
