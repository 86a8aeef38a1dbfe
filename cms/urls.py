from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path
from django.views.decorators.cache import cache_control
from django.views.i18n import JavaScriptCatalog
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from feedback import urls as feedback_urls
from headless.api import api
from planning.views import ical_view
from security.views import PasswordResetView
from tasks.health import healthz

urlpatterns = [
    # Wagtail's password-reset form with the project's limits on the e-mails
    # it sends (security/views.py), ahead of Wagtail's own at the same path.
    path("admin/password_reset/", PasswordResetView.as_view()),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("healthz/", healthz, name="healthz"),
    path("feedback/", include(feedback_urls)),
    path("api/v3/", api.urls),
    # An editor's calendar feed: the secret in the address is the key.
    path("kalender/<str:secret>/schemalagt.ics", ical_view, name="planning_ical"),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# A database that does not answer is a 503 with Retry-After, not a 500.
handler500 = "cms.views.server_error"

# The feedback widget's texts in the page's language: a script file (the
# policy allows no inline script), the same for every visitor of a language.
javascript_catalog = cache_control(public=True, max_age=3600)(
    JavaScriptCatalog.as_view(packages=["feedback"])
)

# Wagtail's page serving last: it catches every other path. Swedish, the
# default, without a prefix; English under /en/. The language is the path's
# alone, so a cached page is never served in the other language.
urlpatterns += i18n_patterns(
    path("jsi18n/", javascript_catalog, name="javascript-catalog"),
    path("", include(wagtail_urls)),
    prefix_default_language=False,
)
