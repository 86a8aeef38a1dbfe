"""The settings of bench/feedback.py: production's, with stock Wagtail's
e-mail form page beside ours, so that one web server serves both."""

from cms.settings.production import *  # noqa: F403
from cms.settings.production import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "wagtail.contrib.forms", "bench.stock_form"]
