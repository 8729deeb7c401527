from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Business records change through services, which keep the audit trail; admin only reads."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
