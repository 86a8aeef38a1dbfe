# The application image for docker-compose.yml: web (gunicorn), Celery worker,
# Celery beat and the one-shot migrate service all run it. No secret is baked
# in: SECRET_KEY, DATABASE_URL and the rest come from the environment at run
# time (see cms/settings/production.py).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=cms.settings.production \
    VAR_DIR=/app/var \
    STATIC_ROOT=/app/static \
    MEDIA_ROOT=/app/media

# A system user of its own: the processes never run as root.
RUN groupadd --system --gid 1000 app \
    && useradd --system --uid 1000 --gid app --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin app

WORKDIR /app

# Requirements first, so a code change does not reinstall them. Every package
# is pinned in requirements.txt, and all have wheels for this image.
COPY requirements.txt .
RUN pip install -r requirements.txt

# The code belongs to root and is read-only for the app user.
COPY . .

# Static files are collected into the image (WhiteNoise serves them, hashed
# and compressed). The production settings refuse to load without a
# SECRET_KEY, so this one step gets a throw-away value that exists only in
# this RUN line and never in the image's environment.
RUN SECRET_KEY=build-time-collectstatic-only-not-a-secret \
        python manage.py collectstatic --noinput \
    && mkdir -p /app/var /app/media \
    && chown -R app:app /app/var /app/media /app/static

USER app

EXPOSE 8000

CMD ["gunicorn", "cms.wsgi:application", "--bind", "0.0.0.0:8000", "--forwarder-headers", ""]
