"""factory-boy factories for the Atlas (shared by the test modules of every app)."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from plek.atlas.models import Hub, Network, Organisation, Person, Programme, Region, Theme
from plek.core.models import Scale, Visibility


def _set_m2m(name: str) -> Any:
    """A post-generation hook: `XFactory(regions=[...])` sets that many-to-many field."""

    def hook(obj: Any, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            getattr(obj, name).set(extracted)

    hook.__name__ = name
    return factory.PostGeneration(hook)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("secret-pass-123")
    is_active = True


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"GM8{n:03d}")
    code_system = Region.CodeSystem.CBS
    name = factory.Sequence(lambda n: f"Testgemeente {n}")
    kind = Region.Kind.MUNICIPALITY
    scale = Scale.LOCAL


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"thema-{n}")
    label_nl = factory.Sequence(lambda n: f"Thema {n}")
    label_en = factory.Sequence(lambda n: f"Theme {n}")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"organisatie-{n}")
    name = factory.Sequence(lambda n: f"Organisatie {n}")
    kind = Organisation.Kind.MUNICIPALITY
    visibility = Visibility.PUBLIC
    regions = _set_m2m("regions")
    themes = _set_m2m("themes")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"persoon-{n}")
    name = factory.Sequence(lambda n: f"Persoon {n}")
    email = factory.LazyAttribute(lambda o: f"{o.slug}@example.org")
    visibility = Visibility.PUBLIC
    # Profiles in the register have recorded consent (without it they are private).
    consent_at = factory.LazyFunction(timezone.now)
    consent_basis = "form"
    regions = _set_m2m("regions")
    themes = _set_m2m("themes")
    organisations = _set_m2m("organisations")


class HubFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hub
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"kennishub-{n}")
    name = factory.Sequence(lambda n: f"Kennishub {n}")
    regions = _set_m2m("regions")
    themes = _set_m2m("themes")


class NetworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Network
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"netwerk-{n}")
    name = factory.Sequence(lambda n: f"Netwerk {n}")
    scale = Scale.REGIONAL
    visibility = Visibility.PUBLIC
    regions = _set_m2m("regions")
    themes = _set_m2m("themes")


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"programma-{n}")
    name = factory.Sequence(lambda n: f"Nationaal programma {n}")
    regions = _set_m2m("regions")
    themes = _set_m2m("themes")
