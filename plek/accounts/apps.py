from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "plek.accounts"
    label = "accounts"
    verbose_name = "Accounts"
