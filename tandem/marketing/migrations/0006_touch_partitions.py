# The touch table in monthly partitions on PostgreSQL (tandem/marketing/partitions.py).

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite has no partitions
    from tandem.marketing import partitions

    with schema_editor.connection.cursor() as cursor:
        partitions.convert(cursor, timezone.now().date())


class Migration(migrations.Migration):

    dependencies = [
        ('marketing', '0005_recipient_claimed_at'),
    ]

    operations = [
        migrations.AlterField(
            model_name='submission',
            name='touch',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='marketing.touch'),
        ),
        migrations.RunPython(partition, migrations.RunPython.noop, elidable=False),
    ]
