from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from plek.accounts import views
from plek.accounts.forms import RateLimitedAuthenticationForm

app_name = "accounts"

urlpatterns = [
    path("sleutels/", views.tokens, name="tokens"),
    path("sleutels/<int:pk>/intrekken/", views.token_revoke, name="token_revoke"),
    path(
        "inloggen/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html", authentication_form=RateLimitedAuthenticationForm
        ),
        name="login",
    ),
    path("uitloggen/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "wachtwoord-vergeten/",
        auth_views.PasswordResetView.as_view(
            template_name="accounts/password_reset.html",
            email_template_name="accounts/password_reset_email.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "wachtwoord-vergeten/verstuurd/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "wachtwoord-herstellen/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "wachtwoord-herstellen/klaar/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
]
