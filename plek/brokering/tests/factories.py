"""factory-boy factories for brokering."""

from __future__ import annotations

from typing import Any

import factory

from plek.atlas.permissions import Viewer, viewer_for
from plek.atlas.tests.factories import UserFactory, _set_m2m
from plek.brokering.models import Question
from plek.core.models import Visibility

# The shared cast plus the asker of the question and the broker assigned to it.
ROLES = ["anonymous", "outsider", "member", "coordinator", "admin", "asker", "broker"]


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"vraag-{n}")
    title = factory.Sequence(lambda n: f"Hoe houden we water vast in polder {n}?")
    text = "Wij zoeken voorbeelden van waterberging op boerenland en wie daar ervaring mee heeft."
    asker = factory.SubFactory(UserFactory)
    created_by = factory.SelfAttribute("asker")
    asker_role = Question.AskerRole.PRACTICE
    visibility = Visibility.PUBLIC
    state = Question.State.SUBMITTED
    regions = _set_m2m("regions")
    themes = _set_m2m("themes")


def as_viewer(user: Any) -> Viewer:
    """A fresh viewer (not the one cached on the user object), so role changes in a test show."""
    if user is not None and hasattr(user, "_plek_viewer"):
        del user._plek_viewer
    return viewer_for(user)
