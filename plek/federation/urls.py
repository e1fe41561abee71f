from django.urls import path

from plek.federation import views

app_name = "federation"

urlpatterns = [
    path("oai", views.oai, name="oai"),
    path("oai/plek-kennis.xsd", views.oai_schema, name="oai_schema"),
    path("kennis/feed/", views.knowledge_feed, name="knowledge_feed"),
]
