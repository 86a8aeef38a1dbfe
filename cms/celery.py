"""The project's Celery app: JSON only, configured from Django settings."""

import os

from celery import Celery

from tasks.heartbeat import Heartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.dev")

app = Celery("cms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Every worker notes that it is alive, for the health check (tasks/heartbeat.py).
app.steps["consumer"].add(Heartbeat)
