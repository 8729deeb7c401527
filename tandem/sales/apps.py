from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "tandem.sales"
    label = "sales"

    def ready(self):
        from tandem.core import registry
        from tandem.sales import dashboards, home, selectors

        registry.add_home_panel(home.is_rep, dashboards.rep_panel)
        registry.add_home_panel(home.is_manager, dashboards.manager_panel)
        registry.add_section("person", home.person_opportunities)
        registry.add_section("organization", home.organization_opportunities)
        registry.add_search_group("Deals", selectors.opportunity_search)
        registry.add_palette_actions(dashboards.palette_actions)
        from tandem.core import timeline as core_timeline
        from tandem.sales import timeline

        acts = ("activity_logged",)
        core_timeline.add_source("person", timeline.person_activities, covers=acts)
        core_timeline.add_source("organization", timeline.organization_activities, covers=acts)
        core_timeline.add_source("opportunity", timeline.opportunity_activities, covers=acts)
        core_timeline.add_source(
            "opportunity", timeline.opportunity_stages, covers=("stage_changed",)
        )
        registry.add_list("opportunities", selectors.OPPORTUNITY_LIST, "sales:opportunities")
        registry.add_record("opportunity", "opportunity", selectors.opportunity_get_for)
