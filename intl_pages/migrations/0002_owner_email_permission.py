"""Give the Moderators group the right to change a page's "Sidansvarig".

The owner address decides who receives visitors' feedback, and with it any
contact details they leave, so plain editors may not change it.
Administrators (superusers) have every permission anyway.
"""

from django.db import migrations

CODENAME = "change_owner_email"
NAME = "Kan ändra sidansvarig (mottagare av återkoppling)"


def grant_to_moderators(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")

    content_type, _ = ContentType.objects.get_or_create(
        app_label="intl_pages", model="internationalpage"
    )
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=CODENAME, defaults={"name": NAME}
    )
    for group in Group.objects.filter(name="Moderators"):
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="intl_pages", codename=CODENAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("intl_pages", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        # Wagtail's migration that creates the Moderators and Editors groups.
        ("wagtailcore", "0002_initial_data"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [migrations.RunPython(grant_to_moderators, revoke)]
