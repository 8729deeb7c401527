from django.apps import AppConfig


class HandoffConfig(AppConfig):
    name = "tandem.handoff"
    label = "handoff"
