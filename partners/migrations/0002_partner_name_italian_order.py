"""An index in Italian alphabetical order of the organisations' names, on PostgreSQL.

The organisations list reads a page in that order (partners.filters.in_name_order): with this index
PostgreSQL walks the names in order and stops after a page (13 ms at 10,000 organisations, against about
300 ms sorting them all). SQLite has no Italian collation of its own: there the connection is given one
when a query asks for it, and an index built on it would need it on every connection that writes an
organisation, so SQLite sorts without one.
"""

from django.db import migrations

CREATE = 'CREATE INDEX IF NOT EXISTS partner_name_italian ON partners_partner ((name COLLATE "it-x-icu"), id)'
DROP = "DROP INDEX IF EXISTS partner_name_italian"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("partners", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
