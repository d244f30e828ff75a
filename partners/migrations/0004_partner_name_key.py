"""The organisations' matching key (Partner.name_key), filled in for those already stored; on PostgreSQL its
trigram index, which finds the names alike to a given one without reading them all; and the pairs of
organisations with alike names (SimilarPair), found for those already stored.

pg_trgm is a trusted extension: the database's owner may create it without being a superuser.
"""

import django.db.models.deletion
from django.db import migrations, models

from partners.similarity import PAIR_THRESHOLD, name_key, other_names, similar_pairs

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS partner_name_key_trgm ON partners_partner USING gin (name_key gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS partner_name_key_trgm"]
CHUNK = 2000
HELP_TEXT = "The name as duplicates are looked for: folded, without its legal form (onlus, s.r.l.…)."


def fill_keys(apps, schema_editor):
    Partner = apps.get_model("partners", "Partner")
    changed = []
    for partner in Partner.objects.only("pk", "name", "name_key").iterator(chunk_size=CHUNK):
        key = name_key(partner.name)
        if partner.name_key != key:
            partner.name_key = key
            changed.append(partner)
    Partner.objects.bulk_update(changed, ["name_key"], batch_size=CHUNK)


def fill_pairs(apps, schema_editor):
    Partner = apps.get_model("partners", "Partner")
    SimilarPair = apps.get_model("partners", "SimilarPair")
    rows = Partner.objects.values_list("pk", "name_key", "other_names").iterator(chunk_size=CHUNK)
    keys = [
        (pk, key)
        for pk, stored_key, others in rows
        for key in (stored_key, *(name_key(name) for name in other_names(others)))
        if key
    ]
    SimilarPair.objects.bulk_create(
        [
            SimilarPair(first_id=first, second_id=second, similarity=score)
            for (first, second), score in similar_pairs(keys, PAIR_THRESHOLD).items()
        ],
        batch_size=1000,
    )


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in CREATE:
            schema_editor.execute(statement)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("partners", "0003_partner_history")]

    operations = [
        migrations.AddField(
            model_name="historicalpartner",
            name="name_key",
            field=models.CharField(
                blank=True, editable=False, help_text=HELP_TEXT, max_length=255, verbose_name="matching key"
            ),
        ),
        migrations.AddField(
            model_name="partner",
            name="name_key",
            field=models.CharField(
                blank=True, editable=False, help_text=HELP_TEXT, max_length=255, verbose_name="matching key"
            ),
        ),
        migrations.CreateModel(
            name="SimilarPair",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("similarity", models.FloatField(verbose_name="similarity")),
                (
                    "first",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="partners.partner",
                        verbose_name="organisation",
                    ),
                ),
                (
                    "second",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="partners.partner",
                        verbose_name="organisation",
                    ),
                ),
            ],
            options={
                "verbose_name": "organisations with alike names",
                "verbose_name_plural": "organisations with alike names",
                "constraints": [
                    models.UniqueConstraint(fields=("first", "second"), name="similar_pair_unique"),
                    models.CheckConstraint(
                        condition=models.Q(("first__lt", models.F("second"))), name="similar_pair_ordered"
                    ),
                ],
            },
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(create_index, drop_index),
        migrations.RunPython(fill_pairs, migrations.RunPython.noop, elidable=False),
    ]
