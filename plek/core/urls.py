from django.templatetags.static import static
from django.urls import path
from django.views.generic.base import RedirectView

app_name = "core"

urlpatterns = [
    # Browsers and feed readers ask for /favicon.ico whatever the page links: send them to the icon.
    path("favicon.ico", RedirectView.as_view(url=static("plek/favicon.svg"), permanent=True), name="favicon"),
]
