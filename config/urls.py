from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from plek.api.router import api

# The admin's own sign-in goes through the rate-limited (and MFA-aware) sign-in page.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", include("plek.core.urls")),
    path("", include("plek.platform.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", api.urls),
    path("beheer/", admin.site.urls),
    path("accounts/", include("plek.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("plek.brokering.urls")),
    path("", include("plek.strategy.urls")),
    path("", include("plek.learning.urls")),
    path("", include("plek.governance.urls")),
    path("", include("plek.federation.urls")),
    path("", include("plek.knowledge.urls")),
    path("", include("plek.notifications.urls")),  # before the Atlas' catch-all <plural>/<slug>/
    path("", include("plek.atlas.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
