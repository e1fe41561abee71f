"""Administrators can read trajectories, agendas and lessons. The agenda is read-only here: every
change must go through `services.agenda_item_change`, which keeps the dated version history."""

from django.contrib import admin

from plek.learning.models import AgendaItem, AgendaVersion, Lesson, Trajectory


class VersionInline(admin.TabularInline):
    model = AgendaVersion
    extra = 0
    can_delete = False
    fields = ("valid_from", "status", "text", "barrier", "note", "recorded_by", "recorded_at")
    readonly_fields = fields


@admin.register(Trajectory)
class TrajectoryAdmin(admin.ModelAdmin):
    list_display = ("title", "phase", "started_on", "owner_hub", "visibility", "is_synthetic")
    list_filter = ("phase", "visibility", "owner_hub")
    search_fields = ("title", "area_process", "slug")
    readonly_fields = ("uuid", "slug")


@admin.register(AgendaItem)
class AgendaItemAdmin(admin.ModelAdmin):
    list_display = ("trajectory", "number", "status", "opened_on", "changed_on")
    list_filter = ("status",)
    search_fields = ("text", "barrier")
    inlines = [VersionInline]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ("title", "trajectory", "date", "visibility", "knowledge_item")
    search_fields = ("title", "insight", "slug")
    readonly_fields = ("uuid", "slug", "knowledge_item")
