from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from plek.governance.tests.factories import make_proposal, make_signal, make_standard, to_state

pytestmark = pytest.mark.django_db


def test_every_page_renders(gov: dict[str, Any], meeting: Any) -> None:
    s = make_signal(gov["member"])
    p = make_proposal(gov["initiative"], [s])
    to_state(p, "decided", gov, meeting)
    st = make_standard(gov["initiative"])
    for user in (None, gov["chair"], gov["initiative"]):
        c = Client()
        if user:
            c.force_login(user)
        for url in [
            "/governance/",
            "/governance/signalen/",
            f"/governance/signalen/{s.pk}/",
            "/governance/voorstellen/",
            f"/governance/voorstellen/{p.pk}/",
            "/governance/vergaderingen/",
            f"/governance/vergaderingen/{meeting.pk}/",
            "/governance/standaarden/",
            f"/governance/standaarden/{st.slug}/",
            "/governance/besluiten/",
            "/governance/besluiten/feed/",
            "/governance/vergaderingen.ics",
            "/governance/signalen/nieuw/",
        ]:
            r = c.get(url)
            assert r.status_code in (200, 302), (url, r.status_code)
