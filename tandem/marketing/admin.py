from django.contrib import admin

from tandem.core.admin_support import ReadOnlyAdmin
from tandem.marketing.models import Program, ProgramCost


@admin.register(Program)
class ProgramAdmin(ReadOnlyAdmin):
    list_display = ("name", "channel", "status", "budget", "start_date", "end_date", "owner")
    list_filter = ("channel", "status")


@admin.register(ProgramCost)
class ProgramCostAdmin(ReadOnlyAdmin):
    list_display = ("program", "incurred_on", "amount", "currency")
