"""Pages of knowledge brokering. Question pages live in `views.py`; the overlap ("samenhang") page and
the dashboards in `views_overview.py`."""

from django.urls import path

from plek.brokering import views, views_overview

app_name = "brokering"

urlpatterns = [
    path("vragen/", views.question_list, name="list"),
    path("vragen/stellen/", views.intake, name="intake"),
    path("vragen/vergelijkbaar/", views.intake_similar, name="intake-similar"),
    path("vragen/wachtrij/", views.queue, name="queue"),
    path("vragen/samenhang/", views_overview.overlap, name="overlap"),
    path("vragen/dashboard/", views_overview.dashboard_national, name="dashboard"),
    path("kennishubs/<slug:slug>/vragen/dashboard/", views_overview.dashboard_hub, name="dashboard-hub"),
    path("vragen/<slug:slug>/", views.question_detail, name="detail"),
    path("vragen/<slug:slug>/stap/", views.question_step, name="step"),
    path("vragen/<slug:slug>/matches/", views.question_matches, name="matches"),
    path("vragen/<slug:slug>/matches/oordeel/", views.match_feedback, name="match-feedback"),
    path("vragen/<slug:slug>/introducties/", views.introduce, name="introduce"),
    path("vragen/<slug:slug>/antwoord/", views.answer, name="answer"),
    path("introducties/mijn/<int:pk>/", views.introduction_signed_in, name="introduction"),
    path("introducties/<str:token>/", views.introduction_respond, name="introduction-respond"),
    path("programmas/<slug:slug>/vragen/", views.programme_inbox, name="programme-inbox"),
]
