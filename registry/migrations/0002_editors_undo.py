"""Editors read the change sets and undo them: an undo writes back what the editors could write by hand."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = "Editors"
CODENAMES = ["view_changeset", "undo_changeset"]


def permissions(apps):
    # Permissions are normally created after all migrations; the group needs them now.
    app_config = apps.get_app_config("registry")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(content_type__app_label="registry", codename__in=CODENAMES)


def grant(apps, schema_editor):
    group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=EDITORS)
    group.permissions.add(*permissions(apps))


def revoke(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name=EDITORS).first()
    if group is not None:
        group.permissions.remove(*permissions(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("registry", "0001_change_sets"),
        ("projects", "0011_editors_review_corrections"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
