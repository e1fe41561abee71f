from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "plek.governance"
    label = "governance"
    verbose_name = "Governance"
