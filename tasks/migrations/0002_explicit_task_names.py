"""Tasks kept while Redis was down carry the task's name: the tasks moved out
of `tasks.tasks` into modules of their own, with names that no longer follow
the module path. Rows written before the move are renamed, so that the
resend sweep finds their task."""

from django.db import migrations

RENAMED = {
    "tasks.tasks.publish_revision": "tasks.publish_revision",
    "tasks.tasks.publish_revisions": "tasks.publish_revisions",
    "tasks.tasks.expire_object": "tasks.expire_object",
    "tasks.tasks.expire_objects": "tasks.expire_objects",
    "tasks.tasks.sweep_schedule": "tasks.sweep_schedule",
    "tasks.tasks.resend_unsent": "tasks.resend_unsent",
    "tasks.tasks.propagate_contact_change": "tasks.propagate_contact_change",
    "tasks.tasks.reconcile_stamps": "tasks.reconcile_stamps",
    "tasks.tasks.run_django_task": "tasks.run_wagtail_task",
    "tasks.tasks.run_django_tasks": "tasks.run_wagtail_tasks",
}


def rename(apps, schema_editor, names):
    UnsentTask = apps.get_model("tasks", "UnsentTask")
    for old, new in names.items():
        UnsentTask.objects.filter(task_name=old).update(task_name=new)


def forwards(apps, schema_editor):
    rename(apps, schema_editor, RENAMED)


def backwards(apps, schema_editor):
    rename(apps, schema_editor, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [("tasks", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
