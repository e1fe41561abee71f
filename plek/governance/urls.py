from django.urls import URLPattern, URLResolver, path

from plek.governance import views

app_name = "governance"

urlpatterns: list[URLPattern | URLResolver] = [
    path("governance/", views.bodies, name="bodies"),
    path("governance/signalen/", views.signal_list, name="signals"),
    path("governance/signalen/nieuw/", views.signal_new, name="signal_new"),
    path("governance/signalen/<int:pk>/", views.signal_detail, name="signal"),
    path("governance/signalen/<int:pk>/steun/", views.signal_support, name="signal_support"),
    path("governance/signalen/<int:pk>/stap/", views.signal_step, name="signal_step"),
    path("governance/voorstellen/", views.proposal_list, name="proposals"),
    path("governance/voorstellen/nieuw/", views.proposal_new, name="proposal_new"),
    path("governance/voorstellen/<int:pk>/", views.proposal_detail, name="proposal"),
    path("governance/voorstellen/<int:pk>/bewerken/", views.proposal_edit, name="proposal_edit"),
    path("governance/voorstellen/<int:pk>/stap/", views.proposal_step, name="proposal_step"),
    path("governance/voorstellen/<int:pk>/onderbouwing/", views.proposal_evidence, name="proposal_evidence"),
    path("governance/voorstellen/<int:pk>/acties/", views.proposal_action, name="proposal_action"),
    path("governance/acties/<int:pk>/", views.action_update, name="action_update"),
    path("governance/vergaderingen/", views.meeting_list, name="meetings"),
    path("governance/vergaderingen.ics", views.meetings_ics, name="meetings_ics"),
    path("governance/vergaderingen/<int:pk>/", views.meeting_detail, name="meeting"),
    path("governance/vergaderingen/<int:pk>.ics", views.meeting_ics, name="meeting_ics"),
    path("governance/standaarden/", views.standard_list, name="standards"),
    path("governance/standaarden/nieuw/", views.standard_new, name="standard_new"),
    path("governance/standaarden/<slug:slug>/", views.standard_detail, name="standard"),
    path("governance/standaarden/<slug:slug>/versies/", views.standard_version, name="standard_version"),
    path("governance/standaarden/<slug:slug>/v<int:number>/stap/", views.standard_step, name="standard_step"),
    path(
        "governance/standaarden/<slug:slug>/v<int:number>/reactie/",
        views.standard_comment,
        name="standard_comment",
    ),
    path(
        "governance/standaarden/<slug:slug>/zelfevaluatie/<slug:hub>/",
        views.standard_assess,
        name="standard_assess",
    ),
    path("governance/besluiten/", views.decision_list, name="decisions"),
    path("governance/besluiten/feed/", views.decision_feed, name="decision_feed"),
    path("governance/besluiten/<int:pk>/", views.decision_detail, name="decision"),
    path("governance/volgen/", views.follow, name="follow"),
]
