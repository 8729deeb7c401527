from django.apps import AppConfig


class TransferConfig(AppConfig):
    name = "tandem.transfer"
    label = "transfer"

    def ready(self):
        from tandem.core import registry
        from tandem.transfer import tasks

        registry.add_sweep(tasks.sweep_import_files)
        from tandem.contacts.models import Person

        registry.add_setup_step(
            40,
            "Import your contacts",
            "A CSV or Excel file from HubSpot, Salesforce or a sheet.",
            lambda: Person.objects.exists(),
            "transfer:imports",
        )
