from django.urls import URLPattern, URLResolver, path

from plek.strategy import views

app_name = "strategy"

urlpatterns: list[URLPattern | URLResolver] = [
    path("strategie/", views.home, name="home"),
    path("strategie/indicatoren/importeren/", views.indicator_import, name="indicator_import"),
    path("strategie/indicatoren/nieuw/", views.indicator_new, name="indicator_new"),
    path("strategie/indicatoren/<slug:slug>/", views.indicator_detail, name="indicator"),
    path("strategie/indicatoren/<slug:slug>/doelen/", views.indicator_targets, name="indicator_targets"),
    path(
        "strategie/indicatoren/<slug:slug>/doelen/<int:pk>/verwijderen/",
        views.target_delete_view,
        name="target_delete",
    ),
    path(
        "strategie/indicatoren/<slug:slug>/vergelijking/", views.indicator_compare, name="indicator_compare"
    ),
    path("strategie/scenarios/nieuw/", views.study_edit, name="study_new"),
    path("strategie/scenarios/<slug:slug>/", views.study_detail, name="study"),
    path("strategie/scenarios/<slug:slug>/bewerken/", views.study_edit, name="study_edit"),
    path("strategie/scenarios/<slug:slug>/varianten/nieuw/", views.variant_edit, name="variant_new"),
    path("strategie/scenarios/<slug:slug>/vergelijking/", views.variants_compare, name="variants_compare"),
    path("strategie/scenarios/<slug:slug>/eenheden/", views.units_import_view, name="units_import"),
    path("strategie/scenarios/<slug:slug>/varianten/<slug:variant>/", views.variant_detail, name="variant"),
    path(
        "strategie/scenarios/<slug:slug>/varianten/<slug:variant>/berekenen/",
        views.variant_solve,
        name="solve",
    ),
    path(
        "strategie/scenarios/<slug:slug>/varianten/<slug:variant>/bewerken/",
        views.variant_edit,
        name="variant_edit",
    ),
    path("strategie/berekeningen/<int:pk>/", views.run_detail, name="run"),
    path("strategie/berekeningen/<int:pk>/annuleren/", views.run_cancel_view, name="run_cancel"),
    path("strategie/resultaten/<str:digest>/", views.result, name="result"),
]
