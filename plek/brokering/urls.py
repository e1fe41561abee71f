from django.urls import URLPattern, URLResolver

app_name = "brokering"

urlpatterns: list[URLPattern | URLResolver] = []
