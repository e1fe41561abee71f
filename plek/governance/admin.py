"""Administrators keep the members' profiles (background, scale, organisation: the composition view)
and can read the governance rows. State changes go through the workflow services, never through the
admin, so state fields are read-only here."""

from django.contrib import admin

from plek.governance.models import (
    Decision,
    Meeting,
    MemberProfile,
    Proposal,
    Signal,
    Standard,
    StandardVersion,
)


@admin.register(MemberProfile)
class MemberProfileAdmin(admin.ModelAdmin):
    list_display = ("membership", "background", "scale", "organisation")
    list_filter = ("background", "scale", "membership__body")


@admin.register(Signal)
class SignalAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "state", "source_type", "created_at")
    list_filter = ("state", "kind")
    search_fields = ("title", "description")
    readonly_fields = ("state", "state_changed_at", "merged_into", "source_type", "source_id", "source_url")


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    list_display = ("title", "state", "meeting", "confidential", "created_at")
    list_filter = ("state", "confidential")
    readonly_fields = ("state", "state_changed_at", "meeting")


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("title", "body", "starts_at", "location")


@admin.register(Standard)
class StandardAdmin(admin.ModelAdmin):
    list_display = ("title", "slug")


@admin.register(StandardVersion)
class StandardVersionAdmin(admin.ModelAdmin):
    list_display = ("standard", "number", "state")
    readonly_fields = ("state", "state_changed_at")


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ("pk", "outcome", "decided_at", "confidential")
    readonly_fields = ("outcome", "decided_at", "proposal", "standard_version", "meeting", "recorded_by")
