from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "tandem.insights"
    label = "insights"

    def ready(self):
        from tandem.core import registry
        from tandem.insights import scorecards

        registry.add_section("program", scorecards.scorecard_section)
