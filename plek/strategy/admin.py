from django.contrib import admin

from plek.strategy import models


@admin.register(models.Indicator)
class IndicatorAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "slug", "unit", "direction", "is_synthetic")
    search_fields = ("name", "slug")


class ClaimInline(admin.TabularInline):  # type: ignore[type-arg]
    model = models.LandClaim
    extra = 0


class CompatibilityInline(admin.TabularInline):  # type: ignore[type-arg]
    model = models.Compatibility
    extra = 0


class VariantInline(admin.StackedInline):  # type: ignore[type-arg]
    model = models.Variant
    extra = 0


@admin.register(models.Study)
class StudyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "slug", "region", "is_synthetic")
    inlines = [ClaimInline, CompatibilityInline, VariantInline]
    raw_id_fields = ("region",)
