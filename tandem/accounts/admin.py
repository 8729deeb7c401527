from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from tandem.accounts.models import ApiToken, Team, User


@admin.register(User)
class TandemUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("Tandem", {"fields": ("role", "team", "capacity")}))
    list_display = ("username", "email", "role", "team", "is_active")
    list_filter = ("role", "team", "is_active")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "function", "manager")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("key_hash", "prefix")
