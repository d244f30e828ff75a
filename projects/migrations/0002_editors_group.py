from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = "Editors"
# Editors add and change entries; withdrawing from the public site replaces deleting.
EDITABLE = {
    "projects": ["project", "participation", "projecttheme", "projecttargetgroup", "funder", "programme", "territory"],
    "partners": ["partner", "leadpartner"],
}
READ_ONLY = {"projects": ["municipality"]}


def create_editors_group(apps, schema_editor):
    # Permissions are normally created after all migrations; the group needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=EDITORS)
    codenames = []
    for app_label, models in EDITABLE.items():
        for model in models:
            codenames += [(app_label, f"{action}_{model}") for action in ("add", "change", "view")]
    for app_label, models in READ_ONLY.items():
        codenames += [(app_label, f"view_{model}") for model in models]
    # Importing and exporting project sheets in the admin (django-import-export).
    codenames += [("projects", "import_project"), ("projects", "export_project")]
    permissions = [
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
        for app_label, codename in codenames
    ]
    group.permissions.add(*permissions)


def remove_editors_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=EDITORS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("partners", "0001_initial"),
        ("projects", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_editors_group, remove_editors_group)]
