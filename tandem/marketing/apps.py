from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "tandem.marketing"
    label = "marketing"

    def ready(self):
        from tandem.core import registry as _registry
        from tandem.marketing import personal as _personal

        _registry.add_personal_data("marketing", _personal.export, _personal.erase)
        from tandem.core import registry
        from tandem.marketing import dashboards, home

        registry.add_home_panel(
            home.shows_leads, dashboards.panel, name="marketing", lazy=True, order=30
        )
        from tandem.marketing import selectors

        registry.add_picker("program", selectors.program_picks, selectors.program_label)
        from tandem.contacts import privacy
        from tandem.marketing import tasks as marketing_tasks

        registry.add_sweep(marketing_tasks.retention_sweep)
        registry.add_sweep(marketing_tasks.send_recovery_sweep)
        registry.add_sweep(marketing_tasks.touch_partitions_sweep)
        registry.add_sweep(marketing_tasks.tally_sweep)
        registry.add_settings_section(
            75,
            "Data retention",
            "Erase leads nobody has touched for a set number of months.",
            "settings:retention",
            privacy.may_handle,
        )
        registry.add_picker("segment", selectors.segment_picks, selectors.segment_label)
        from tandem.core import timeline as core_timeline
        from tandem.marketing import timeline

        core_timeline.add_source("person", timeline.touches, covers=("touched",))
        from tandem.marketing.models import LeadForm, Program

        registry.add_setup_step(
            30,
            "A first program and form",
            "Each lead records the program that brought it: a web form, an event, an ad.",
            lambda: Program.objects.exists() and LeadForm.objects.exists(),
            "marketing:program_new",
        )

        from anymail.signals import tracking as anymail_tracking

        anymail_tracking.connect(_on_tracking, dispatch_uid="tandem-suppress")


def _on_tracking(sender, event, esp_name, **kwargs):
    from tandem.marketing import tracking

    tracking.on_tracking_event(event, esp_name)
