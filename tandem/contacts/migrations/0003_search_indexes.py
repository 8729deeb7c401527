from django.db import migrations

from tandem.core.pgsearch import pattern_index, trigram_index


class Migration(migrations.Migration):
    dependencies = [("contacts", "0002_initial")]

    operations = [
        trigram_index("contacts_person", "search_text", "person_search_trgm"),
        pattern_index("contacts_person", "email_normalized", "person_email_pattern"),
        trigram_index("contacts_organization", "search_text", "org_search_trgm"),
    ]
