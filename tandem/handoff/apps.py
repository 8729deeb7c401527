from django.apps import AppConfig


class HandoffConfig(AppConfig):
    name = "tandem.handoff"
    label = "handoff"

    def ready(self):
        from tandem.core import registry as _registry
        from tandem.handoff import personal as _personal

        _registry.add_personal_data("handoff", _personal.export, _personal.erase)
        from tandem.core import registry
        from tandem.handoff import sections

        registry.add_section("person", sections.person_score)
        registry.add_section("person", sections.person_prediction)
        from tandem.handoff import dashboards, tasks

        registry.add_home_panel(
            lambda user: True, dashboards.panel, name="handoff", lazy=True, order=15
        )
        from tandem.core import timeline as core_timeline
        from tandem.handoff import timeline

        core_timeline.add_source("person", timeline.handoffs, covers=("handed_off",))
        core_timeline.add_source("person", timeline.scores)
        from tandem.core import access

        registry.add_settings_section(
            45,
            "Scoring and the SLA",
            "The fit and engagement rules that make an MQL, and the hours sales has to decide.",
            "handoff:scoring",
            lambda u: access.function_of(u) in ("marketing", "admin") or u.role == "sales_manager",
        )

        registry.add_sweep(tasks.rescore_sweep)
        registry.add_sweep(tasks.breach_sweep)
        registry.add_sweep(tasks.retrain_sweep)
