from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from plek.api.router import api

urlpatterns = [
    path("", include("plek.core.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", api.urls),
    path("beheer/", admin.site.urls),
    path("accounts/", include("plek.accounts.urls")),
    path("", include("plek.brokering.urls")),
    path("", include("plek.strategy.urls")),
    path("", include("plek.learning.urls")),
    path("", include("plek.governance.urls")),
    path("", include("plek.federation.urls")),
    path("", include("plek.knowledge.urls")),
    path("", include("plek.atlas.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
