from django.contrib import admin

from plek.notifications.models import Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("recipient", "kind", "title", "created_at", "read_at", "mail")
    list_filter = ("kind", "mail")
    readonly_fields = (
        "recipient",
        "kind",
        "title",
        "body",
        "url",
        "created_at",
        "read_at",
        "mail",
        "mailed_at",
    )


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "channel")
