from django.urls import path

from plek.federation import views

app_name = "federation"

urlpatterns = [
    path("oai", views.oai, name="oai"),
    path("oai/plek-kennis.xsd", views.oai_schema, name="oai_schema"),
    path("kennis/feed/", views.knowledge_feed, name="knowledge_feed"),
    path("dcat/catalogus.ttl", views.dcat_catalogue, {"fmt": "ttl"}, name="dcat_ttl"),
    path("dcat/catalogus.jsonld", views.dcat_catalogue, {"fmt": "jsonld"}, name="dcat_jsonld"),
    path("sitemap.xml", views.sitemap, name="sitemap"),
]
