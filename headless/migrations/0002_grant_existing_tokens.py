"""Tokens made before scopes existed keep what they could do: every scope,
so their user's rights, as before. They expire 90 days after this
migration runs (the upgrade), which the admin shows, so that their owners
have time to replace them with tokens made for one purpose."""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone

# The scopes as they were when this ran; later scopes are not given to old
# tokens by a later change of the table.
ALL_SCOPES = ["schedule", "pages", "drafts"]
DAYS = 90


def grant_existing_tokens(apps, schema_editor):
    APIToken = apps.get_model("wagtailcore", "APIToken")
    APITokenGrant = apps.get_model("headless", "APITokenGrant")
    expires_at = (timezone.now() + timedelta(days=DAYS)).replace(second=0, microsecond=0)
    APITokenGrant.objects.bulk_create(
        APITokenGrant(token=token, scopes=ALL_SCOPES, expires_at=expires_at)
        for token in APIToken.objects.filter(grant__isnull=True)
    )


class Migration(migrations.Migration):
    dependencies = [("headless", "0001_initial")]

    operations = [migrations.RunPython(grant_existing_tokens, migrations.RunPython.noop)]
