"""Django admin for platform administrators: the whole Atlas, searchable."""

from django.contrib import admin

from plek.atlas.models import (
    Hub,
    HubMembership,
    Milestone,
    Network,
    NetworkMember,
    Organisation,
    Person,
    Programme,
    ProgrammeBudget,
    ProgrammeStatusChange,
    Region,
    RegionContainment,
    Relation,
    Theme,
)


class ContainmentInline(admin.TabularInline):
    model = RegionContainment
    fk_name = "child"
    extra = 0
    autocomplete_fields = ("parent",)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "scale", "code_verified")
    list_filter = ("kind", "scale", "code_verified")
    search_fields = ("code", "name")
    exclude = ("geometry",)
    inlines = [ContainmentInline]


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ("slug", "label_nl", "label_en", "parent", "position")
    search_fields = ("slug", "label_nl", "label_en")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "visibility", "owner_hub", "is_synthetic")
    list_filter = ("kind", "visibility", "is_synthetic")
    search_fields = ("name", "slug")
    autocomplete_fields = ("regions", "themes")


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("name", "role", "visibility", "owner_hub", "is_synthetic")
    list_filter = ("visibility", "expertise_visibility", "is_synthetic")
    search_fields = ("name", "slug")
    autocomplete_fields = ("regions", "themes", "organisations", "account")


class HubMembershipInline(admin.TabularInline):
    model = HubMembership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Hub)
class HubAdmin(admin.ModelAdmin):
    list_display = ("name", "offers_brokering", "offers_area_learning", "offers_strategy")
    search_fields = ("name",)
    autocomplete_fields = ("regions", "themes")
    inlines = [HubMembershipInline]


class NetworkMemberInline(admin.TabularInline):
    model = NetworkMember
    extra = 0
    autocomplete_fields = ("person", "organisation")


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "scale", "visibility", "is_synthetic")
    list_filter = ("kind", "scale", "visibility")
    search_fields = ("name", "slug")
    autocomplete_fields = ("regions", "themes", "parent", "programmes")
    inlines = [NetworkMemberInline]


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


class BudgetInline(admin.TabularInline):
    model = ProgrammeBudget
    extra = 0
    autocomplete_fields = ("region",)


class StatusInline(admin.TabularInline):
    model = ProgrammeStatusChange
    extra = 0


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ("name", "abbr", "lead_ministry", "status", "verification")
    list_filter = ("status", "verification", "scale")
    search_fields = ("name", "abbr")
    autocomplete_fields = ("regions", "themes")
    inlines = [StatusInline, MilestoneInline, BudgetInline]


@admin.register(Relation)
class RelationAdmin(admin.ModelAdmin):
    list_display = ("source_type", "source_id", "kind", "target_type", "target_id", "visibility")
    list_filter = ("kind", "source_type", "target_type")
