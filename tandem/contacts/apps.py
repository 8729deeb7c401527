from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "tandem.contacts"
    label = "contacts"

    def ready(self):
        from tandem.contacts import selectors
        from tandem.core import registry

        registry.add_search_group("People", selectors.person_search)
        from tandem.contacts import timeline
        from tandem.core import timeline as core_timeline

        core_timeline.add_source("person", timeline.transitions, covers=("stage_changed",))
        registry.add_record("person", "person", selectors.person_get_for)
        registry.add_record("organization", "organization", selectors.organization_get_for)
        registry.add_search_group("Organizations", selectors.organization_search)
        from tandem.contacts import services
        from tandem.core import access

        registry.add_picker(
            "organization", selectors.organization_picks, selectors.organization_label,
            create=services.organization_from_picker,
            may_create=lambda actor: access.can_create(actor, "organization"),
        )  # fmt: skip
        registry.add_picker(
            "person", selectors.person_picks, selectors.person_label,
            create=services.person_from_picker,
            may_create=lambda actor: access.can_create(actor, "person"),
        )  # fmt: skip
        from tandem.contacts import custom_fields

        registry.add_settings_section(
            55,
            "Custom fields",
            "What you record about people and organizations beyond the standard fields.",
            "settings:custom_fields",
            custom_fields.may_define,
        )
        registry.add_list("people", selectors.PERSON_LIST, "contacts:people")
        registry.add_list("organizations", selectors.ORGANIZATION_LIST, "contacts:organizations")
