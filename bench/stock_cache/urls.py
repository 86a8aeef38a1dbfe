"""The project's URLs, with Wagtail's catch-all page view under `cache_page`."""

from django.urls import re_path
from django.views.decorators.cache import cache_page
from wagtail import urls as wagtail_urls
from wagtail import views as wagtail_views

from cms.urls import urlpatterns as project

urlpatterns = [
    *(p for p in project if getattr(p, "urlconf_module", None) is not wagtail_urls),
    re_path(
        r"^((?:[\w\-]+/)*)$",
        cache_page(600, cache="stock")(wagtail_views.serve),
        name="wagtail_serve",
    ),
]
