from django.db import migrations

from tandem.core.pgsearch import sqlite_trigram


class Migration(migrations.Migration):
    """SQLite: substring search of people by name or email part from a trigram index, as the
    pg_trgm index (0003) serves it on PostgreSQL."""

    dependencies = [("contacts", "0012_external_ids")]

    operations = [sqlite_trigram("contacts_person", "search_text")]
