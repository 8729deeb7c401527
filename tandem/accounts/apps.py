from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tandem.accounts"
    label = "accounts"

    def ready(self):
        from django.contrib.auth import get_user_model

        from tandem.accounts import selectors
        from tandem.accounts.models import Team
        from tandem.core import access, registry

        registry.add_picker("user", selectors.user_picks, selectors.user_label)

        registry.add_settings_section(
            10,
            "Users",
            "Invite people, give them a role and a team, deactivate them.",
            "settings:users",
            access.is_admin,
        )
        registry.add_settings_section(
            20,
            "Teams",
            "Reps see their own records and their team's.",
            "settings:teams",
            access.is_admin,
        )
        registry.add_setup_step(
            20,
            "Users and teams",
            "Invite your marketers and reps, each with a role and a team.",
            lambda: (
                get_user_model().objects.filter(is_active=True).count() > 1
                and Team.objects.exists()
            ),
            "settings:users",
        )
