"""Let editors and moderators manage contact people.

Editors may add, change and publish contacts (as they edit pages);
moderators may also delete them. The permissions are created here, since
Django makes them only after all migrations have run.
"""

from django.db import migrations

NAMES = {
    "add": "Can add",
    "change": "Can change",
    "delete": "Can delete",
    "view": "Can view",
    "publish": "Can publish",
}
GRANTS = {
    "Editors": ["add", "change", "view", "publish"],
    "Moderators": ["add", "change", "delete", "view", "publish"],
}


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="intl_pages", model="contact")
    permissions = {
        action: Permission.objects.get_or_create(
            content_type=content_type,
            codename=f"{action}_contact",
            defaults={"name": f"{name} Kontaktperson"},
        )[0]
        for action, name in NAMES.items()
    }
    for group in Group.objects.filter(name__in=GRANTS):
        group.permissions.add(*(permissions[action] for action in GRANTS[group.name]))


class Migration(migrations.Migration):
    dependencies = [
        ("intl_pages", "0003_owner_email_default"),
        ("wagtailcore", "0002_initial_data"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
