from django.urls import path

from plek.platform import health

app_name = "platform"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]
