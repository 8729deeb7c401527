from django.db import migrations

from tandem.sales import defaults


def create(apps, schema_editor):
    defaults.create(
        apps.get_model("sales", "Pipeline"),
        apps.get_model("sales", "Stage"),
        apps.get_model("sales", "LossReason"),
        apps.get_model("sales", "Objection"),
    )


class Migration(migrations.Migration):
    dependencies = [("sales", "0007_territory_company_sizes")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
