from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "tandem.demo"
    label = "demo"
    verbose_name = "Demo workspace"
