from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tandem.core"
    label = "core"

    def ready(self):
        from tandem.core import checks  # noqa: F401  (registers the system checks)
