from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "tandem.contacts"
    label = "contacts"

    def ready(self):
        from tandem.contacts import selectors
        from tandem.core import registry

        registry.add_search_group("People", selectors.person_search)
        registry.add_search_group("Organizations", selectors.organization_search)
        registry.add_list("people", selectors.PERSON_LIST, "contacts:people")
        registry.add_list("organizations", selectors.ORGANIZATION_LIST, "contacts:organizations")
