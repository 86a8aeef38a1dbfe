"""The site's own answer to an error no view caught (`handler500`)."""

import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.views.defaults import server_error as django_server_error


def server_error(request, template_name="500.html"):
    """Django's 500 page, but for a database that does not answer: that is
    not a fault in the request, and it passes. A 503 with `Retry-After` says
    so, to a visitor, a health check and a search engine alike. (Django calls
    the handler inside its `except`, so the error is the one in hand.)"""
    error = sys.exc_info()[1]
    if isinstance(error, (OperationalError, InterfaceError)):
        response = django_server_error(request, template_name="503.html")
        response.status_code = 503
        response["Retry-After"] = str(settings.DATABASE_RETRY_AFTER_SECONDS)
        return response
    return django_server_error(request, template_name)
