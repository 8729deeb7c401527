from django.contrib import admin

from tandem.contacts.models import LifecycleTransition, Organization, Person
from tandem.core.admin_support import ReadOnlyAdmin


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ("email", "first_name", "last_name", "lifecycle_stage", "owner")
    list_filter = ("lifecycle_stage",)
    search_fields = ("email_normalized",)
    show_full_result_count = False


@admin.register(Organization)
class OrganizationAdmin(ReadOnlyAdmin):
    list_display = ("name", "domain", "country", "owner", "is_customer")
    search_fields = ("name",)
    show_full_result_count = False


@admin.register(LifecycleTransition)
class TransitionAdmin(ReadOnlyAdmin):
    list_display = ("person", "from_stage", "to_stage", "at", "actor")
    raw_id_fields = ("person",)
    show_full_result_count = False
