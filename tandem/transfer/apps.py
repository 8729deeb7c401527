from django.apps import AppConfig


class TransferConfig(AppConfig):
    name = "tandem.transfer"
    label = "transfer"

    def ready(self):
        from tandem.core import registry
        from tandem.transfer import tasks

        registry.add_sweep(tasks.sweep_import_files)
