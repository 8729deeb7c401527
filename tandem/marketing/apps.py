from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "tandem.marketing"
    label = "marketing"

    def ready(self):
        from tandem.core import registry
        from tandem.marketing import home

        registry.add_home_panel(home.shows_leads, home.leads_panel)
        registry.add_section("person", home.person_touches)
