from django.urls import URLPattern, URLResolver, path

from plek.learning import views

app_name = "learning"

T = "leertrajecten/<slug:slug>/"

urlpatterns: list[URLPattern | URLResolver] = [
    path("leertrajecten/", views.trajectory_list, name="list"),
    path("leertrajecten/nieuw/", views.trajectory_edit, name="create"),
    path(T, views.trajectory_detail, name="detail"),
    path(T + "bewerken/", views.trajectory_edit, name="edit"),
    path(T + "verwijderen/", views.trajectory_delete, name="delete"),
    path(T + "deelnemers/nieuw/", views.participant_add, name="participant_add"),
    path(T + "agenda/", views.agenda, name="agenda"),
    path(T + "agenda/nieuw/", views.agenda_item_new, name="agenda_item_new"),
    path(T + "agenda/<int:number>/", views.agenda_item, name="agenda_item"),
    path(T + "agenda/<int:number>/wijzigen/", views.agenda_item_change, name="agenda_item_change"),
    path(T + "agenda/<int:number>/doorgeven/", views.agenda_item_pass_on, name="agenda_item_pass_on"),
    path(T + "sessies/nieuw/", views.session_edit, name="session_new"),
    path(T + "sessies/<int:pk>/", views.session_detail, name="session"),
    path(T + "sessies/<int:pk>/bewerken/", views.session_edit, name="session_edit"),
    path(T + "tijdlijn/", views.timeline, name="timeline"),
    path(T + "tijdlijn/gebeurtenis/nieuw/", views.event_new, name="event_new"),
    path(T + "tijdlijn/citaat/nieuw/", views.quote_new, name="quote_new"),
    path(T + "leergeschiedenis/", views.learning_history, name="history"),
    path(T + "export.json", views.export, {"fmt": "json"}, name="export_json"),
    path(T + "export.md", views.export, {"fmt": "md"}, name="export_md"),
    path("lessen/", views.lesson_list, name="lessons"),
    path("lessen/nieuw/", views.lesson_edit, name="lesson_create"),
    path("lessen/<slug:slug>/", views.lesson_detail, name="lesson"),
    path("lessen/<slug:slug>/bewerken/", views.lesson_edit, name="lesson_edit"),
    path("lessen/<slug:slug>/publiceren/", views.lesson_publish, name="lesson_publish"),
    path("leren/drempels/", views.barriers, name="barriers"),
]
