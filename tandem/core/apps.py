from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tandem.core"
    label = "core"

    def ready(self):
        from tandem.core import personal as _personal
        from tandem.core import registry as _registry

        _registry.add_personal_data("history", _personal.export, _personal.erase)
        from tandem.core import access, checks, registry, settings_views, setup  # noqa: F401

        registry.add_home_panel(lambda user: True, setup.panel)
        from tandem.core import webhook_tasks, webhooks

        registry.add_sweep(webhook_tasks.webhook_sweep)
        from tandem.core import tasks, trash

        registry.add_sweep(tasks.trash_sweep)
        registry.add_settings_section(
            85,
            "Trash",
            "What was deleted in the last 30 days; put it back.",
            "settings:trash",
            trash.may_delete,
        )
        registry.add_settings_section(
            80,
            "Webhooks",
            "Tell other systems what happens here, signed; see each delivery.",
            "settings:webhooks",
            webhooks.may_manage,
        )
        registry.add_setup_step(
            50,
            "Mail settings",
            "A sender and your postal address, for campaign footers.",
            setup.mail_ready,
            "settings:mail",
        )
        registry.add_settings_section(
            60,
            "Mail",
            "The sender of campaigns and your postal address; send a test.",
            "settings:mail",
            settings_views.may_mail,
        )
        registry.add_settings_section(
            90, "Audit", "Who changed which setting, and when.", "settings:audit", access.is_admin
        )
