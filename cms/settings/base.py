"""Settings shared by development, test and production.

Values that vary between machines come from the environment, through
`cms.settings.environment`; nothing secret is written here.
"""

from datetime import timedelta

import dj_database_url

from .environment import (
    BASE_DIR,
    as_ports,
    env_bool,
    env_int,
    env_list,
    env_str,
    redis_db,
    redis_url_with_db,
    var_dir,
)

VAR_DIR = var_dir()

INSTALLED_APPS = [
    "cms",
    "security",
    "intl_pages",
    "feedback",
    "releases",
    "changes",
    "webhooks",
    "pagecache",
    "headless",
    "planning",
    "tasks",
    "wagtail.contrib.settings",
    # Translations of pages (an English page as a copy of the Swedish one):
    # Wagtail's own; wagtail-localize would add a package and its
    # segment-by-segment workflow for a site with one translated page.
    "wagtail.contrib.simple_translation",
    "wagtail.locales",
    "wagtail.contrib.redirects",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    # The v3 API: its API-token screen in the admin and its rich-text check;
    # "ninja" serves the docs page's assets itself (otherwise from a CDN).
    "wagtail.api.v3",
    "ninja",
    "corsheaders",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside the page cache and the API's problem responses, so that every
    # response, a cache hit too, gets its policy headers once.
    "security.headers.SecurityHeadersMiddleware",
    # Any error on the API's paths, whoever made it below, as JSON.
    "headless.middleware.ProblemResponsesMiddleware",
    # Early: a cached page is served before the rest (pagecache/middleware.py).
    "pagecache.middleware.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "security.sessions.SessionLifetimeMiddleware",
    "headless.middleware.PublicReadsMiddleware",
    # After the public reads dropped their tokens: the scope and expiry of
    # the ones left (headless/tokens.py).
    "headless.tokens.TokenScopeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "cms.urls"
WSGI_APPLICATION = "cms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]


# Database: DATABASE_URL, or a SQLite file under var/ that web, worker and
# beat share. SQLite then runs in WAL mode (readers never wait for the
# writer), opens every transaction IMMEDIATE (a writer takes the lock at
# BEGIN instead of failing half-way with "database is locked") and waits up
# to 20 s for a busy lock.
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A server that does not answer (a host gone, a dropped packet) is known
    # in two seconds, not the operating system's two minutes, with a web
    # worker held all the while.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]


# Swedish, Swedish time. Times are stored in UTC and shown in Stockholm time.
# Swedish at /, English under /en/ (cms/urls.py): the language of a page is
# in its URL only, never taken from the browser's Accept-Language or a cookie.
LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", "Svenska"), ("en", "English")]
TIME_ZONE = "Europe/Stockholm"
# Every editor works in Stockholm time: one choice, so Wagtail offers none in
# the account settings and the scheduling fields always mean Swedish time.
WAGTAIL_USER_TIME_ZONES = ["Europe/Stockholm"]
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]


STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
STATIC_ROOT = env_str("STATIC_ROOT", str(BASE_DIR / "static"))
STATIC_URL = "/static/"
MEDIA_ROOT = env_str("MEDIA_ROOT", str(BASE_DIR / "media"))
MEDIA_URL = "/media/"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Complex pages can exceed Django's default of 1000 fields in the editor.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000


# Redis: the broker on the database REDIS_URL names, the cache on the next
# one, so flushing one never empties the other.
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHE_REDIS_URL = env_str("CACHE_REDIS_URL", redis_url_with_db(REDIS_URL, redis_db(REDIS_URL) + 1))

# CACHE_BACKEND=file is what `make run` sets when no Redis answers: a cache
# the web, worker and beat processes share through var/cache.
if env_str("CACHE_BACKEND", "redis") == "file":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
else:
    CACHES = {
        "default": {
            # A Redis that does not answer is a cache miss, not an error page.
            "BACKEND": "cms.cache.ResilientRedisCache",
            "LOCATION": CACHE_REDIS_URL,
            "KEY_PREFIX": "cms",
            # A Redis host that drops packets must not hold a request for long.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }


# Celery: JSON only, settings read from here by cms/celery.py.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
# An unacknowledged task (acks_late) goes back to the queue after this long.
# ETAs stay far inside it (SCHEDULE_HORIZON_SECONDS), or they would be
# delivered twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    # A Redis host that drops packets must not hold an editor's request (a
    # task sent as it commits) for ever: kombu waits without limit by
    # default. Above the 1 s a worker's BRPOP blocks for.
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The embedded broker of a laptop without Redis (see `runstack`).
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Kombu's default is "control" in the working directory: the checkout.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
# What every task has, set here once (tasks/base.py adds the retry policy):
# acknowledged only when done, and requeued when its worker dies, so a task
# is never lost (every task is idempotent, so a requeue is harmless); a soft
# time limit, then a hard one, so a stuck task never holds a worker for ever.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_TASK_ANNOTATIONS = {
    # All the background work of one editor's transaction, in one message.
    "tasks.run_wagtail_tasks": {"soft_time_limit": 240, "time_limit": 300},
    # A whole release, a thousand items, prepared and written in one go.
    "tasks.apply_release": {"soft_time_limit": 600, "time_limit": 660},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_BROKER_POOL_LIMIT = 10

# Two queues: "schedule" for the on-the-second work, "celery" (the default)
# for everything else (Wagtail's index updates, stamps, purges). `make run`
# and the compose file give each a worker of its own, so a publish never
# waits behind background work, and the background worker runs at a lower
# CPU priority.
SCHEDULE_QUEUE = "schedule"
CELERY_TASK_ROUTES = {
    "tasks.publish_revision": {"queue": SCHEDULE_QUEUE},
    "tasks.publish_revisions": {"queue": SCHEDULE_QUEUE},
    "tasks.expire_object": {"queue": SCHEDULE_QUEUE},
    "tasks.expire_objects": {"queue": SCHEDULE_QUEUE},
    "tasks.sweep_schedule": {"queue": SCHEDULE_QUEUE},
    "tasks.apply_release": {"queue": SCHEDULE_QUEUE},
    # Cheap, and must not wait behind a backlog of background work after an
    # outage.
    "tasks.resend_unsent": {"queue": SCHEDULE_QUEUE},
    # Webhook deliveries wait on other people's servers: the default queue,
    # never the scheduling worker's.
    "tasks.deliver_webhook": {"queue": "celery"},
    "tasks.sweep_webhook_deliveries": {"queue": "celery"},
    "tasks.erase_old_webhook_logs": {"queue": "celery"},
}
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True

# Scheduled publishing (tasks/scheduling.py): an exact-time task for what is
# due within the horizon; a sweep every few seconds queues what comes into
# it and re-queues what is more than the grace period late.
SCHEDULE_HORIZON_SECONDS = env_int("SCHEDULE_HORIZON_SECONDS", 120)
SCHEDULE_SWEEP_SECONDS = env_int("SCHEDULE_SWEEP_SECONDS", 5)
SCHEDULE_GRACE_SECONDS = env_int("SCHEDULE_GRACE_SECONDS", 10)
# Revisions due at one instant share a message, up to this many: small
# enough that every scheduling worker process gets a share of a burst.
SCHEDULE_BATCH_SIZE = env_int("SCHEDULE_BATCH_SIZE", 25)
# Releases (releases/actions.py): the task comes this long before the
# instant, loads and checks every item, then waits for the instant, so that
# only the writes are left when it comes. On SQLite, where one long
# transaction holds up every writer, a release has at most so many items.
RELEASE_PREPARE_SECONDS = env_int("RELEASE_PREPARE_SECONDS", 2)
# A release writes its items ahead of its instant, uncommitted, and commits
# on it: its task starts RELEASE_PREPARE_SECONDS plus this many milliseconds
# per item before (twice what an item took in bench/release.py).
RELEASE_MS_PER_ITEM = env_int("RELEASE_MS_PER_ITEM", 80)
RELEASE_MAX_ITEMS_SQLITE = env_int("RELEASE_MAX_ITEMS_SQLITE", 200)
STAMP_RECONCILE_SECONDS = env_int("STAMP_RECONCILE_SECONDS", 300)
# How often tasks kept in the database while Redis was down are sent again.
UNSENT_RESEND_SECONDS = env_int("UNSENT_RESEND_SECONDS", 10)

# Webhooks (webhooks/, tasks/webhooks.py). Deliveries go only to globally
# routable addresses unless WEBHOOKS_ALLOW_PRIVATE_ADDRESSES (development: a
# listener on the laptop). A failed delivery is tried again with backoff for
# a day; an endpoint that fails for a day is switched off. The sweep queues
# what is due; the attempt log is kept WEBHOOKS_LOG_RETENTION_DAYS.
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", False)
WEBHOOKS_SWEEP_SECONDS = env_int("WEBHOOKS_SWEEP_SECONDS", 15)
WEBHOOKS_LOG_RETENTION_DAYS = env_int("WEBHOOKS_LOG_RETENTION_DAYS", 30)
WEBHOOKS_RETRY_FOR_SECONDS = 24 * 3600
WEBHOOKS_DISABLE_AFTER_SECONDS = 24 * 3600
# Short: an attempt holds a background worker process while it waits.
WEBHOOKS_CONNECT_TIMEOUT_SECONDS = 3
WEBHOOKS_READ_TIMEOUT_SECONDS = 10

# The beat schedule lives in code, reviewed like the rest: nothing here is
# for editors to change, so django-celery-beat's database tables would add a
# moving part without a user.
CELERY_BEAT_SCHEDULE = {
    "sweep-schedule": {
        "task": "tasks.sweep_schedule",
        "schedule": SCHEDULE_SWEEP_SECONDS,
        "options": {"expires": SCHEDULE_SWEEP_SECONDS * 2},
    },
    "resend-unsent": {
        "task": "tasks.resend_unsent",
        "schedule": UNSENT_RESEND_SECONDS,
        "options": {"expires": UNSENT_RESEND_SECONDS * 2},
    },
    "sweep-feedback-digests": {
        "task": "tasks.sweep_feedback_digests",
        "schedule": 60,
        "options": {"expires": 60},
    },
    "erase-expired-feedback-data": {
        "task": "tasks.erase_expired_feedback_data",
        "schedule": 3600,
        "options": {"expires": 3600},
    },
    "reconcile-stamps": {
        "task": "tasks.reconcile_stamps",
        "schedule": STAMP_RECONCILE_SECONDS,
        "options": {"expires": STAMP_RECONCILE_SECONDS},
    },
    "sweep-webhook-deliveries": {
        "task": "tasks.sweep_webhook_deliveries",
        "schedule": WEBHOOKS_SWEEP_SECONDS,
        "options": {"expires": WEBHOOKS_SWEEP_SECONDS * 2},
    },
    "erase-old-webhook-logs": {
        "task": "tasks.erase_old_webhook_logs",
        "schedule": 3600,
        "options": {"expires": 3600},
    },
}

# Wagtail's own background work (django-tasks) runs on the Celery workers,
# handed over when the transaction commits (tasks/backends.py).
# WAGTAIL_TASKS_BACKEND=immediate runs it inside the request, as stock
# Wagtail does (the benchmark's baseline).
TASKS_BACKENDS = {
    "celery": "tasks.backends.CeleryBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
TASKS = {"default": {"BACKEND": TASKS_BACKENDS[env_str("WAGTAIL_TASKS_BACKEND", "celery")]}}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")


# E-mail: nothing leaves the machine unless EMAIL_HOST is set.
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_TIMEOUT = 30
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "webbplatsen@lidkoping.example.org")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The owner address a new page gets until a moderator names its real owner.
DEFAULT_PAGE_OWNER_EMAIL = env_str(
    "DEFAULT_PAGE_OWNER_EMAIL", "webbredaktionen@lidkoping.example.org"
)


# Wagtail
WAGTAIL_SITE_NAME = "Lidköpings kommun"
WAGTAILADMIN_BASE_URL = env_str("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAILADMIN_PERMITTED_LANGUAGES = [("sv", "Svenska"), ("en", "English")]
# Front-end caches (a CDN or Varnish) to purge when what a page shows
# changes; none by default. WAGTAILFRONTENDCACHE_URLS: comma-separated
# HTTP purge endpoints (Varnish/Squid).
WAGTAILFRONTENDCACHE = {
    f"http{i}": {"BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend", "LOCATION": url}
    for i, url in enumerate(env_list("WAGTAILFRONTENDCACHE_URLS"))
}
if WAGTAILFRONTENDCACHE:
    # Only then: without a cache to purge, its receivers would still queue a
    # purge task on every publish.
    INSTALLED_APPS.insert(INSTALLED_APPS.index("wagtail.admin"), "wagtail.contrib.frontend_cache")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "rtf", "txt", "xlsx"]
WAGTAIL_DATE_FORMAT = "%Y-%m-%d"
WAGTAIL_DATETIME_FORMAT = "%Y-%m-%d %H:%M"
WAGTAIL_TIME_FORMAT = "%H:%M"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # One INFO line per background task drowns the useful lines.
        "django_tasks": {"level": "WARNING"},
        # Celery's per-task "received"/"succeeded" lines and beat's "sending
        # due task", every few seconds for the sweep, bury what matters; the
        # tasks log their own work.
        "celery.app.trace": {"level": "WARNING"},
        "celery.worker.strategy": {"level": "WARNING"},
        "celery.beat": {"level": "WARNING"},
    },
}


# Who the client is (security/clients.py), one rule for every limit and
# lockout: REMOTE_ADDR, unless it is one of TRUSTED_PROXIES (addresses or
# networks of the TLS proxy in front of gunicorn), then the right-most
# address in X-Forwarded-For that is not a trusted proxy. INTERNAL_NETWORKS:
# clients that may read the detailed health report without its token.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
INTERNAL_NETWORKS = env_list("INTERNAL_NETWORKS", ["127.0.0.0/8", "::1/128"])
# Where the rate limits count (security/ratelimit.py): a Redis that evicts
# nothing, never the page cache's.
RATELIMIT_REDIS_URL = env_str("RATELIMIT_REDIS_URL", CACHE_REDIS_URL)
# The cheap floor under every limit (security/flood.py): requests per second
# one client (an IPv4 address, an IPv6 /64) may make of one web process, and
# the burst it may start with; 0 switches it off. Internal clients are never
# counted. The buckets of this many clients are kept per process.
CLIENT_RATE_PER_SECOND = env_int("CLIENT_RATE_PER_SECOND", 20)
CLIENT_RATE_BURST = env_int("CLIENT_RATE_BURST", 200)
CLIENT_RATE_MAX_CLIENTS = 50_000


# Visitor feedback (the feedback app). A form sent sooner than this after
# its token was made is taken for a bot's; a token lives this long (a cached
# page's token is shared and may be old).
FEEDBACK_MIN_SECONDS = env_int("FEEDBACK_MIN_SECONDS", 3)
FEEDBACK_TOKEN_MAX_AGE_SECONDS = env_int("FEEDBACK_TOKEN_MAX_AGE_SECONDS", 7 * 24 * 3600)
# How long the widget's later steps may add to the answer a bare Ja or Nej made.
FEEDBACK_AMEND_MAX_AGE_SECONDS = env_int("FEEDBACK_AMEND_MAX_AGE_SECONDS", 3600)
# Posts per client address and window: generous enough for a class of
# pupils behind one school's address.
FEEDBACK_RATE_LIMIT = env_int("FEEDBACK_RATE_LIMIT", 60)
FEEDBACK_RATE_LIMIT_WINDOW_SECONDS = env_int("FEEDBACK_RATE_LIMIT_WINDOW_SECONDS", 600)
# Front-end origins allowed to post feedback besides the site itself.
FEEDBACK_ALLOWED_ORIGINS = env_list("FEEDBACK_ALLOWED_ORIGINS")

# Headless API (/api/v3/). The front-ends' origins are one list: the ones
# whose visitors may post feedback are the ones CORS lets read the API.
WAGTAILAPI_RICH_TEXT_FORMAT = "html"
WAGTAILAPI_LIMIT_MAX = 100
CORS_ALLOWED_ORIGINS = FEEDBACK_ALLOWED_ORIGINS
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOW_HEADERS = ("accept", "authorization", "content-type")
# Front-end preview: per site hostname, the front-end page that takes a
# preview token ("www.lidkoping.se=https://front.example/preview,*=..."; "*"
# for any other site); how long a token and its state last.
HEADLESS_PREVIEW_URLS = dict(
    entry.split("=", 1) for entry in env_list("HEADLESS_PREVIEW_URLS") if "=" in entry
)
HEADLESS_PREVIEW_SECONDS = env_int("HEADLESS_PREVIEW_SECONDS", 600)
# A post larger than this is refused (413) before it is read.
FEEDBACK_MAX_BODY_BYTES = env_int("FEEDBACK_MAX_BODY_BYTES", 16 * 1024)
# The envelope sender of the digests: a monitored address, where bounces go.
FEEDBACK_BOUNCE_ADDRESS = env_str("FEEDBACK_BOUNCE_ADDRESS", DEFAULT_FROM_EMAIL)
# Retention (gallring): contact addresses and comments as received are erased
# this many days after the answer came in. The municipality's gallringsbeslut
# sets the period.
FEEDBACK_RETENTION_DAYS = env_int("FEEDBACK_RETENTION_DAYS", 90)
# What the digests remind owners of beside the answers ("Sidor att granska"):
# dotted paths of callables(now) -> {owner address: [reminder]}. Here rather
# than an import: the feedback app does not import the content's.
FEEDBACK_REMINDER_SOURCES = ["intl_pages.reviews.reminders_by_owner"]


# Page cache (pagecache/): published pages and anonymous API responses kept
# whole in a Redis of their own (PAGECACHE_REDIS_URL, run with maxmemory and
# an evicting policy; on a laptop the cache's Redis), with a layer in each
# web process's memory, purged on every change visitors see. Off where the
# cache is not Redis (`make run` without Redis). Every process of a site
# must run with the same value: the one that commits a change purges.
PAGECACHE_ENABLED = env_bool("PAGECACHE_ENABLED", env_str("CACHE_BACKEND", "redis") == "redis")
# Only the page cache lives there: the rate limits, the sweep's marks,
# preview state and de-duplication keys stay in the cache's Redis, which
# evicts nothing.
PAGECACHE_REDIS_URL = env_str("PAGECACHE_REDIS_URL", CACHE_REDIS_URL)
# Besides Wagtail's pages, the 200s of anonymous GETs under these.
PAGECACHE_PREFIXES = ["/api/v3/"]
# Never looked up nor stored (the admin, uploads, feedback posts and tokens,
# health, the API's preview and schedules, which are per editor, static files:
# WhiteNoise serves those before the cache is asked).
PAGECACHE_EXCLUDED_PREFIXES = [
    "/admin/",
    "/documents/",
    "/feedback/",
    "/healthz/",
    "/api/v3/preview/",
    "/api/v3/schedule/",
    STATIC_URL,
    MEDIA_URL,
]
# The query a page answers differently for, by parameter: the values it
# knows. Any other query, or value, is served the clean page's entry (the
# feedback form's thanks is `?tack=1`; the widget thanks for nothing else).
PAGECACHE_PAGE_QUERY = {"tack": ["1"]}
# Vary names the cache may leave out of the key: a request with a session
# cookie is never cached. (Origin is in the
# key on the API's paths, per front-end: CORS_ALLOWED_ORIGINS.) The language
# of a page is in its path (/en/…), so Accept-Language never changes a body.
PAGECACHE_IGNORED_VARY = ["Cookie", "Accept-Language"]
# Redis lets an entry go after this long (purges make it unreachable long
# before); the local layer holds at most this much per process.
PAGECACHE_TIMEOUT = 600
PAGECACHE_LOCAL_MAX_BYTES = 32 * 1024 * 1024
# After Redis failed to answer, serve uncached for this long before asking
# again; look for purges that were kept while Redis was down this often.
PAGECACHE_RETRY_SECONDS = 1.0
PAGECACHE_PENDING_CHECK_SECONDS = 1.0
# A web process asks Redis for the generation at most this often (the round
# trip is most of what a hit costs): a purge reaches every process within it,
# and a release's commit waits it out behind its fence.
PAGECACHE_GENERATION_CHECK_SECONDS = env_int("PAGECACHE_GENERATION_CHECK_MS", 50) / 1000
# A release commits behind a fence (pagecache/fence.py): it lapses after this
# long if its committer dies, and a second release waits at most this long
# for the first's.
PAGECACHE_FENCE_SECONDS = 300
PAGECACHE_FENCE_WAIT_SECONDS = 30
# The API's query string is its input: at most this many of them (in
# canonical order) are kept per path and generation; the rest are rendered
# and not kept. An API read the cache cannot answer counts against its
# client (an IPv4 address, an IPv6 /64): beyond the limit in the window, 429.
PAGECACHE_API_VARIANTS_PER_PATH = env_int("PAGECACHE_API_VARIANTS_PER_PATH", 40)
PAGECACHE_UNCACHED_READ_LIMIT = env_int("PAGECACHE_UNCACHED_READ_LIMIT", 30)
PAGECACHE_UNCACHED_READ_WINDOW_SECONDS = env_int("PAGECACHE_UNCACHED_READ_WINDOW_SECONDS", 10)


# API tokens (headless/tokens.py, headless/scopes.py): Wagtail's tokens with
# scopes and an expiry; a new token lasts this many days unless the
# administrator (or `create_api_token --days`) says otherwise.
API_TOKEN_DEFAULT_DAYS = env_int("API_TOKEN_DEFAULT_DAYS", 90)


# The admin's door (security/lockout.py, security/views.py). django-axes
# counts wrong passwords per (username, client) and refuses the pair after
# AXES_FAILURE_LIMIT of them; the project's handler adds the second rule,
# the client on any usernames after LOGIN_ADDRESS_FAILURE_LIMIT (axes has
# one limit for all its parameter combinations). The client is
# security.clients' (an IPv4 address, an IPv6 /64). Both locks lift by
# themselves AXES_COOLOFF_TIME after the last counted failure, so that no
# stranger can lock an editor out for good; an administrator lifts one
# sooner under Inställningar → Låsta inloggningar.
INSTALLED_APPS.insert(INSTALLED_APPS.index("django.contrib.auth"), "axes")
AUTHENTICATION_BACKENDS = [
    "security.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Last: it answers for a login that the lockout refused.
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
AXES_HANDLER = "security.lockout.LockoutHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = 10
LOGIN_ADDRESS_FAILURE_LIMIT = 50
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_CLIENT_IP_CALLABLE = "security.lockout.lockout_address"
AXES_LOCKOUT_CALLABLE = "security.views.lockout_response"
# Tries during a lockout are not counted, so the time the lockout page
# names holds: a user who tries again early does not push it further.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The pair's count starts over when its user gets in: a few typing errors a
# day never add up to a lockout.
AXES_RESET_ON_SUCCESS = True
# Axes' log of every successful login would keep editors' addresses for
# ever, and nothing here reads it.
AXES_DISABLE_ACCESS_LOG = True
# No banner from every process at start, and of axes' log only the
# failures and lockouts (as warnings, username and address masked).
AXES_VERBOSE = False
LOGGING["loggers"]["axes"] = {"level": "WARNING"}
# Password reset e-mails (security/views.py): per client and window, and per
# e-mail address asked for (whoever asks), so that no one can fill an
# editor's inbox. Counted by security.ratelimit.
PASSWORD_RESET_RATE_LIMIT = env_int("PASSWORD_RESET_RATE_LIMIT", 5)
PASSWORD_RESET_EMAIL_RATE_LIMIT = env_int("PASSWORD_RESET_EMAIL_RATE_LIMIT", 3)
PASSWORD_RESET_RATE_LIMIT_WINDOW_SECONDS = env_int("PASSWORD_RESET_RATE_LIMIT_WINDOW_SECONDS", 3600)
# ensure_admin checks ADMIN_PASSWORD with AUTH_PASSWORD_VALIDATORS
# (production.py turns it on; a laptop keeps any password).
ADMIN_PASSWORD_VALIDATION = False


# Operations (issue 14): the health check, worker messages, webhook targets,
# mail without TLS.
# /healthz/ (tasks/health.py): each worker notes a heartbeat in the cache
# every HEALTH_HEARTBEAT_SECONDS (tasks/heartbeat.py); one older than
# HEALTH_HEARTBEAT_STALE_SECONDS means its queue has no live worker. A web
# process keeps its verdict HEALTH_MEMO_SECONDS, so a flood of checks costs
# one a second. HEALTH_TOKEN (a bearer token) shows the detailed report to a
# client that is not internal (INTERNAL_NETWORKS); without it, only internal
# clients see it.
HEALTH_TOKEN = env_str("HEALTH_TOKEN", "")
HEALTH_HEARTBEAT_SECONDS = 5
HEALTH_HEARTBEAT_STALE_SECONDS = 30
HEALTH_MEMO_SECONDS = 1.0
# Webhook targets (webhooks/addresses.py), checked when an endpoint is saved
# and at every delivery: production allows https to port 443 only unless
# these say more (cms/settings/production.py); elsewhere http and any port
# (an empty list), for a listener on the laptop.
WEBHOOKS_ALLOW_HTTP = env_bool("WEBHOOKS_ALLOW_HTTP", True)
WEBHOOKS_ALLOWED_PORTS = as_ports("WEBHOOKS_ALLOWED_PORTS", env_list("WEBHOOKS_ALLOWED_PORTS"))
# Mail (cms/mail.py): TLS as the SMTP server offers it, STARTTLS
# (EMAIL_USE_TLS) or from the first byte (EMAIL_USE_SSL, port 465).
# Production refuses plain text to a server elsewhere unless
# EMAIL_ALLOW_PLAINTEXT; development sends where it is told.
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_ALLOW_PLAINTEXT = True


# Bodies and the database away (issue 14, "every body refuses, never fails").
# With the database not answering, a feedback post or an API call is a 503
# that asks the client to come back after this many seconds (Retry-After);
# the widget keeps what the visitor wrote meanwhile.
DATABASE_RETRY_AFTER_SECONDS = 30


# Response headers (security/headers.py). Public pages, the API and its docs
# run no inline code and load nothing from elsewhere; cached pages are
# replayed whole, so the policy has no nonce. The feedback widget posts to
# the site itself (form-action); front-ends that post feedback from their own
# pages do so under their own policy. frame-ancestors is 'self' only where a
# view lets the site frame it (Wagtail's preview).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# The strictest policy Wagtail 8.0's admin works under, found by the browser
# (tests/e2e/test_csp.py; docs/operator.md says what needs each).
ADMIN_CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        **CONTENT_SECURITY_POLICY["DIRECTIVES"],
        # Inline scripts: the date and time pickers (the schedule's go-live
        # and expiry), InlinePanel, the choosers, and the scripts that come
        # with the HTML of modals. A nonce would not reach them: widgets are
        # rendered without the request.
        "script-src": ["'self'", "'unsafe-inline'"],
        # No inline event handlers, but the one jquery.Jcrop (the image
        # editor's focal point) writes to test for event support: "return;".
        "script-src-attr": [
            "'unsafe-hashes'",
            "'sha256-i+qr4lq34KgNHiW62lWi9aInEBwiEOrfCzaNPCvkqD8='",
        ],
        # Draftail (rich text) writes <style> elements; with those allowed,
        # refusing style attributes (jQuery UI, tag-it) would protect nothing.
        "style-src": ["'self'", "'unsafe-inline'"],
        # The image uploader's previews.
        "img-src": ["'self'", "blob:"],
        # The dashboard tells administrators of a new Wagtail release.
        "connect-src": ["'self'", "https://releases.wagtail.org"],
    },
}
# Avatars from the site only: Gravatar would be sent a hash of every
# editor's address on every admin page.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# Powerful browser features no page of the site uses, denied to every page
# and to anything framed in it; and the browser's ad-interest tracking
# (browsing-topics, and interest-cohort for the browsers that had FLoC).
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "interest-cohort",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

# An editor's session (security/sessions.py): it ends after this long
# without a request of theirs (Wagtail's background pings do not count), and
# this long after they signed in, whatever they do.
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_MAX_SECONDS = env_int("SESSION_MAX_SECONDS", 10 * 3600)
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
