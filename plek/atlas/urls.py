from django.urls import path

from plek.atlas import views, views_consent, views_invitations

app_name = "atlas"

urlpatterns = [
    path("", views.home, name="home"),
    path("gebieden/", views.region_list, name="regions"),
    path("gebieden/suggesties/", views.region_suggest, name="region_suggest"),
    path("gebieden/eigen/nieuw/", views.custom_area_new, name="custom_area_new"),
    path("gebieden/<str:code>/", views.region_detail, name="region"),
    path("gebieden/<str:code>/drukte/", views.region_busyness, name="busyness"),
    path("kaart/", views.map_view, name="map"),
    path("netwerk/", views.graph_view, name="graph"),
    path("kennishubs/<slug:slug>/leden/", views.hub_members, name="hub_members"),
    path("kennishouders/<slug:slug>/mijn-gegevens.json", views.person_data, name="person_data"),
    path("kennishouders/zonder-toestemming/", views_consent.consent_missing, name="consent_missing"),
    path("kennishouders/<slug:slug>/toestemming/", views_consent.person_consent, name="person_consent"),
    path("uitnodigingen/", views_invitations.invitations, name="invitations"),
    path("uitnodiging/<str:token>/", views_invitations.invitation_accept, name="invitation-accept"),
    path("<slug:plural>/", views.entity_list, name="list"),
    path("<slug:plural>/nieuw/", views.entity_edit, name="create"),
    path("<slug:plural>/<slug:slug>/", views.entity_detail, name="detail"),
    path("<slug:plural>/<slug:slug>/bewerken/", views.entity_edit, name="edit"),
    path("<slug:plural>/<slug:slug>/verwijderen/", views.entity_delete, name="delete"),
    path("<slug:plural>/<slug:slug>/geschiedenis/", views.entity_history, name="history"),
]
