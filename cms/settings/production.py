"""Production: every secret and host name from the environment, HTTPS only.

Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
"""

from .base import *  # noqa: F403
from .base import EMAIL_HOST, MIDDLEWARE
from .environment import as_ports, env_bool, env_int, env_list, env_required

DEBUG = False
SECRET_KEY = env_required("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading puts the whole domain and its subdomains on the browsers' HTTPS
# list, which takes months to undo: the domain owner opts in, and until then
# Django's reminder (W021) is silenced rather than the decision made for them.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
# __Host-: the browser takes these cookies only over HTTPS, for the whole
# site (Path=/) and from this host alone (no Domain), so no subdomain or
# plain-HTTP page can set or overwrite them.
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_PATH = "/"
CSRF_COOKIE_PATH = "/"
# Wagtail's messages ("Sidan har publicerats") in the session, not in a
# cookie of their own without the prefix.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
X_FRAME_OPTIONS = "DENY"

# gunicorn serves the collected static files itself, compressed and cached.
MIDDLEWARE = [MIDDLEWARE[0], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[1:]]

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# ensure_admin refuses an ADMIN_PASSWORD that AUTH_PASSWORD_VALIDATORS refuse.
ADMIN_PASSWORD_VALIDATION = True


# Operations (issue 14). Webhooks go to https on port 443 only, unless
# WEBHOOKS_ALLOW_HTTP (then port 80 too) or WEBHOOKS_ALLOWED_PORTS say more.
WEBHOOKS_ALLOW_HTTP = env_bool("WEBHOOKS_ALLOW_HTTP", False)
WEBHOOKS_ALLOWED_PORTS = as_ports(
    "WEBHOOKS_ALLOWED_PORTS",
    env_list("WEBHOOKS_ALLOWED_PORTS", ["80", "443"] if WEBHOOKS_ALLOW_HTTP else ["443"]),
)
# Mail to an SMTP server elsewhere only over TLS (cms/mail.py), unless
# EMAIL_ALLOW_PLAINTEXT says the network to it is trusted.
if EMAIL_HOST:
    EMAIL_BACKEND = "cms.mail.EmailBackend"
EMAIL_ALLOW_PLAINTEXT = env_bool("EMAIL_ALLOW_PLAINTEXT", False)
