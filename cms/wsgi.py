import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.dev")

django_application = get_wsgi_application()

# One client's flood is refused before Django builds a request for it
# (security/flood.py).
from security.flood import ClientRateGuard  # noqa: E402 (needs the settings)

application = ClientRateGuard(django_application)
