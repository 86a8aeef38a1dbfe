"""Every editor in Stockholm time: WAGTAIL_USER_TIME_ZONES offers only it, but
a time zone an editor chose before would still be used (Wagtail reads the
profile's choice whatever the setting). Forget every such choice."""

from django.db import migrations


def forget_chosen_time_zones(apps, schema_editor):
    UserProfile = apps.get_model("wagtailusers", "UserProfile")
    UserProfile.objects.exclude(current_time_zone="").update(current_time_zone="")


class Migration(migrations.Migration):
    dependencies = [
        ("planning", "0001_initial"),
        ("wagtailusers", "0015_userprofile_keyboard_shortcuts"),
    ]

    operations = [migrations.RunPython(forget_chosen_time_zones, migrations.RunPython.noop)]
