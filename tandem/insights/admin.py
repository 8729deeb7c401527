from django.contrib import admin

from tandem.insights.models import Plan, Target


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("name", "period_start", "period_end", "owner")
    inlines = [TargetInline]
