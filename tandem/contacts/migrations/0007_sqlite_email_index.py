"""SQLite does not use the partial unique index on email_normalized for `= ?` or `IN (…)`
(it cannot prove the value is not ''), so every look-up by email scanned the people table.
PostgreSQL answers those from person_email_pattern; SQLite gets a plain index."""

from django.db import migrations

from tandem.core.pgsearch import sqlite_index


class Migration(migrations.Migration):
    dependencies = [("contacts", "0006_drop_covered_fk_indexes")]

    operations = [
        sqlite_index("contacts_person", "email_normalized", "person_email_sqlite_idx"),
    ]
