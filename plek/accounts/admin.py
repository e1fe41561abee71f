from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from plek.accounts.models import ApiToken, BodyMembership, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, ("PLeK", {"fields": ("display_name",)}))  # type: ignore[misc]


@admin.register(BodyMembership)
class BodyMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "body", "role", "since")
    list_filter = ("body", "role")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at")
    readonly_fields = ("key_hash", "prefix")
