from django.apps import AppConfig


class StrategyConfig(AppConfig):
    name = "plek.strategy"
    label = "strategy"
    verbose_name = "Strategische ondersteuning"
