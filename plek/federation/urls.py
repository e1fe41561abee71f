from django.urls import path

from plek.federation import pages, views

app_name = "federation"

urlpatterns = [
    path("oai", views.oai, name="oai"),
    path("oai/plek-kennis.xsd", views.oai_schema, name="oai_schema"),
    path("kennis/feed/", views.knowledge_feed, name="knowledge_feed"),
    path("dcat/catalogus.ttl", views.dcat_catalogue, {"fmt": "ttl"}, name="dcat_ttl"),
    path("dcat/catalogus.jsonld", views.dcat_catalogue, {"fmt": "jsonld"}, name="dcat_jsonld"),
    path("sitemap.xml", views.sitemap, name="sitemap"),
    path("oogstbronnen/", pages.source_list, name="sources"),
    path("oogstbronnen/<int:pk>/", pages.source_detail, name="source"),
    path("oogstbronnen/<int:pk>/<str:action>/", pages.source_action, name="source_action"),
    path("kennis-importeren/", pages.knowledge_import, name="import"),
    path("kennis-importeren/<int:pk>/", pages.import_job, name="import_job"),
    path("kennis-importeren/<int:pk>/voortgang/", pages.import_job_progress, name="import_job_progress"),
    path("kennis-importeren/<int:pk>/bevestigen/", pages.import_job_confirm, name="import_job_confirm"),
]
