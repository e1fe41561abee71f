from django.urls import path

from plek.notifications import views

app_name = "notifications"

urlpatterns = [
    path("meldingen/", views.notification_list, name="list"),
    path("meldingen/gelezen/", views.mark_read, name="read"),
    path("meldingen/voorkeuren/", views.preferences, name="preferences"),
    path("meldingen/<int:pk>/", views.open_notification, name="open"),
    path("meldingen/afmelden/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
