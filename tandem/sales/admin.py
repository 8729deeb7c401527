"""Sales configuration is edited here by admins; deals themselves change only through services."""

from django.contrib import admin

from tandem.core.admin_support import ReadOnlyAdmin
from tandem.sales import models as m


class StageInline(admin.TabularInline):
    model = m.Stage
    extra = 0


@admin.register(m.Pipeline)
class PipelineAdmin(admin.ModelAdmin):
    inlines = [StageInline]


@admin.register(m.PriceBook)
class PriceBookAdmin(admin.ModelAdmin):
    list_display = ("name", "currency", "is_default")


@admin.register(m.Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "name", "family", "active")


@admin.register(m.Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ("name", "team", "countries")


@admin.register(m.Quota)
class QuotaAdmin(admin.ModelAdmin):
    list_display = ("user", "team", "period_kind", "period_start", "amount")
    list_filter = ("period_kind", "team")


@admin.register(m.Opportunity)
class OpportunityAdmin(ReadOnlyAdmin):
    list_display = ("name", "owner", "stage", "amount", "expected_close")
    show_full_result_count = False


for simple in (
    m.Competitor,
    m.LossReason,
    m.Objection,
    m.Partner,
    m.DiscountPolicy,
    m.PriceBookEntry,
):
    admin.site.register(simple)
