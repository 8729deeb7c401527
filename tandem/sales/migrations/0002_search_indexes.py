from django.db import migrations

from tandem.core.pgsearch import trigram_index


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]

    operations = [trigram_index("sales_opportunity", "search_text", "opp_search_trgm")]
