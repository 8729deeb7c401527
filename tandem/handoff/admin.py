from django.contrib import admin

from tandem.core.admin_support import ReadOnlyAdmin
from tandem.handoff.models import Handoff


@admin.register(Handoff)
class HandoffAdmin(ReadOnlyAdmin):
    list_display = ("person", "rep", "routed_at", "due_at", "status")
    list_filter = ("status",)
    raw_id_fields = ("person",)
