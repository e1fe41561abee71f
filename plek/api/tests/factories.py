"""Small factories for API tests (factory-boy)."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from plek.accounts.models import User
from plek.atlas.models import (
    Hub,
    HubMembership,
    Milestone,
    Network,
    Organisation,
    Person,
    Programme,
    ProgrammeStatusChange,
    Region,
    RegionContainment,
    Relation,
    Theme,
)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("correct-horse-battery")


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region

    code = factory.Sequence(lambda n: f"GM{n:04d}")
    code_system = Region.CodeSystem.CBS
    name = factory.Sequence(lambda n: f"Gemeente {n}")
    kind = Region.Kind.MUNICIPALITY
    scale = "local"


class ThemeFactory(DjangoModelFactory):
    class Meta:
        model = Theme

    slug = factory.Sequence(lambda n: f"thema-{n}")
    label_nl = factory.Sequence(lambda n: f"Thema {n}")
    label_en = factory.Sequence(lambda n: f"Theme {n}")


class HubFactory(DjangoModelFactory):
    class Meta:
        model = Hub
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"hub-{n}")
    name = factory.Sequence(lambda n: f"Kennishub {n}")

    @factory.post_generation
    def regions(self, create: bool, extracted: list[Region] | None, **kwargs: object) -> None:
        if create:
            self.regions.set(extracted or [RegionFactory()])


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    slug = factory.Sequence(lambda n: f"organisatie-{n}")
    name = factory.Sequence(lambda n: f"Organisatie {n}")
    kind = Organisation.Kind.MUNICIPALITY


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person

    slug = factory.Sequence(lambda n: f"persoon-{n}")
    name = factory.Sequence(lambda n: f"Persoon {n}")
    email = factory.Sequence(lambda n: f"persoon{n}@example.org")
    phone = "010-1234567"
    role = "Beleidsadviseur"
    expertise = "Bodem en water"
    # Profiles in the register have recorded consent (without it they are private).
    consent_at = factory.LazyFunction(timezone.now)
    consent_basis = "form"


class NetworkFactory(DjangoModelFactory):
    class Meta:
        model = Network

    slug = factory.Sequence(lambda n: f"netwerk-{n}")
    name = factory.Sequence(lambda n: f"Netwerk {n}")
    scale = "regional"


class ProgrammeFactory(DjangoModelFactory):
    class Meta:
        model = Programme

    slug = factory.Sequence(lambda n: f"programma-{n}")
    name = factory.Sequence(lambda n: f"Programma {n}")


class MilestoneFactory(DjangoModelFactory):
    class Meta:
        model = Milestone

    programme = factory.SubFactory(ProgrammeFactory)
    date = dt.date(2030, 1, 15)
    kind = Milestone.Kind.DEADLINE
    label = "Deadline"


class StatusChangeFactory(DjangoModelFactory):
    class Meta:
        model = ProgrammeStatusChange

    programme = factory.SubFactory(ProgrammeFactory)
    status = Programme.Status.ACTIVE
    date = dt.date(2024, 1, 1)


class RelationFactory(DjangoModelFactory):
    class Meta:
        model = Relation

    kind = Relation.Kind.WORKS_WITH
    source_type = "organisation"
    target_type = "network"


def member(hub: Hub, user: User | None = None, role: str = HubMembership.Role.MEMBER) -> User:
    user = user or UserFactory()
    HubMembership.objects.create(hub=hub, user=user, role=role)
    return user


def contain(parent: Region, child: Region) -> None:
    RegionContainment.objects.create(parent=parent, child=child)
