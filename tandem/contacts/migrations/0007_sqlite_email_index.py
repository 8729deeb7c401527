"""SQLite does not use the partial unique index on email_normalized for `= ?` or `IN (…)`
(it cannot prove the value is not ''), so every look-up by email scanned the people table.
PostgreSQL answers those from person_email_pattern; SQLite gets a plain index."""

from django.db import migrations

NAME = "person_email_sqlite_idx"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {NAME} ON contacts_person (email_normalized)"
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("contacts", "0006_drop_covered_fk_indexes")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
