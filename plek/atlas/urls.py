from django.urls import path

from plek.atlas import views

app_name = "atlas"

urlpatterns = [
    path("", views.home, name="home"),
]
