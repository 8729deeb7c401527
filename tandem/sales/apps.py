from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "tandem.sales"
    label = "sales"

    def ready(self):
        from tandem.core import registry as _registry
        from tandem.sales import personal as _personal

        _registry.add_personal_data("sales", _personal.export, _personal.erase)
        from tandem.core import access, registry
        from tandem.sales import dashboards, home, selectors, tasks

        registry.add_sweep(tasks.win_rates_sweep)
        registry.add_home_panel(home.is_rep, dashboards.rep_panel)
        registry.add_home_panel(
            home.is_manager, dashboards.manager_panel, name="team", lazy=True, order=20
        )
        registry.add_section("person", home.person_opportunities)
        registry.add_section("organization", home.organization_opportunities)
        registry.add_search_group("Deals", selectors.opportunity_search)
        registry.add_picker("product", selectors.product_picks, selectors.product_label)
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
        from tandem.sales import setup
        from tandem.sales.models import Pipeline, StageKind

        registry.add_settings_section(
            30,
            "Pipelines and stages",
            "The stages of your selling process and their odds.",
            "settings:pipelines",
            setup.may_configure,
        )
        registry.add_settings_section(
            40,
            "Quotas",
            "Each rep's target per quarter: a grid, or a CSV file.",
            "settings:quotas",
            setup.may_configure,
        )
        registry.add_settings_section(
            45,
            "Territories",
            "Which countries and industries each sales team works.",
            "settings:territories",
            setup.may_configure,
        )
        registry.add_settings_section(
            50,
            "Prices and discounts",
            "List prices and the discount each sales role may give.",
            "sales:pricing",
            lambda u: access.function_of(u) in ("marketing", "admin"),
        )
        registry.add_setup_step(
            10,
            "Pipeline and stages",
            "Tandem starts with one: rename the stages as you sell.",
            lambda: Pipeline.objects.filter(is_default=True, stages__kind=StageKind.OPEN).exists(),
            "settings:pipelines",
        )
