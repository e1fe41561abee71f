from allauth.account import views as allauth_views
from django.urls import path

from plek.accounts import views, views_auth

app_name = "accounts"

# Sign-in, sign-up and password reset are django-allauth's (its own addresses live under
# /accounts/ too, see config/urls.py); these are the Dutch addresses pages and tests link to.
urlpatterns = [
    path("sleutels/", views.tokens, name="tokens"),
    path("sleutels/<int:pk>/intrekken/", views.token_revoke, name="token_revoke"),
    path("mijn-gegevens/", views.my_data, name="my_data"),
    path("mijn-gegevens/download/", views.my_data_download, name="my_data_download"),
    path("mijn-gegevens/wissen/", views.my_data_erase, name="my_data_erase"),
    path("inloggen/", views_auth.login, name="login"),
    path("uitloggen/", allauth_views.logout, name="logout"),
    path("account-maken/", allauth_views.signup, name="signup"),
    path("wachtwoord-vergeten/", allauth_views.password_reset, name="password_reset"),
]
