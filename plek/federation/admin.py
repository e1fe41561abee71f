from django.contrib import admin

from plek.federation.models import AllowedHost, HarvestRun, HarvestSource, ImportJob


@admin.register(HarvestSource)
class HarvestSourceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "base_url", "schedule", "owner_hub", "paused", "harvested_until")
    list_filter = ("kind", "schedule", "paused")
    filter_horizontal = ("default_themes", "default_regions")


@admin.register(HarvestRun)
class HarvestRunAdmin(admin.ModelAdmin):
    list_display = ("source", "status", "started_at", "fetched", "created", "updated", "withdrawn", "refused")
    list_filter = ("status",)
    readonly_fields = [f.name for f in HarvestRun._meta.fields]


@admin.register(AllowedHost)
class AllowedHostAdmin(admin.ModelAdmin):
    list_display = ("host", "note", "added_by", "added_at")
    readonly_fields = ("added_by", "added_at")

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        obj.host = obj.host.strip().lower()
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "dry_run", "status", "total", "created", "updated", "created_at")
    list_filter = ("status", "dry_run")
    readonly_fields = [f.name for f in ImportJob._meta.fields if f.name != "data"]
    exclude = ("data",)
