"""Administrators can read questions and their history; state changes go through the workflow
service (`question_transition`), never through the admin, so the state field is read-only here."""

from django.contrib import admin

from plek.brokering.models import Evaluation, ProgrammeBroker, Question, QuestionEvent


class EventInline(admin.TabularInline):
    model = QuestionEvent
    extra = 0
    can_delete = False
    readonly_fields = ("from_state", "to_state", "actor", "at", "note")


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("title", "state", "owner_hub", "asker", "broker", "submitted_at", "visibility")
    list_filter = ("state", "visibility", "owner_hub")
    search_fields = ("title", "text", "slug")
    readonly_fields = ("uuid", "state", "submitted_at", "state_changed_at")
    autocomplete_fields = ("regions", "themes")
    inlines = [EventInline]


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    list_display = ("question", "usefulness", "by", "at")


@admin.register(ProgrammeBroker)
class ProgrammeBrokerAdmin(admin.ModelAdmin):
    """Administrators assign the brokers (contact persons) of national programmes here."""

    list_display = ("programme", "user", "since")
    list_filter = ("programme",)
    autocomplete_fields = ("user",)
    search_fields = ("programme__name", "user__username", "user__display_name")
