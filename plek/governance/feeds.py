"""The public decision log as an Atom feed (confidential decisions show only that one was taken)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from plek.governance import selectors

FEED_SIZE = 50


class PlainTextAtomFeed(Atom1Feed):
    """Atom with the decision text as `<summary type="text">`.

    Django's Atom1Feed writes `type="html"`, escaped once for XML: a feed reader then renders whatever
    markup a decision text contains as live HTML. Decision texts are plain text, so say so."""

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        description = item.get("description")
        super().add_item_elements(handler, {**item, "description": None})
        if description is not None:
            handler.addQuickElement("summary", description, {"type": "text"})


def decision_feed(request: HttpRequest) -> HttpResponse:
    """Always as an anonymous visitor sees it: feed readers share what they fetch."""
    feed = PlainTextAtomFeed(
        title=_("PLeK — besluitenlijst van de Stuurgroep"),
        link=request.build_absolute_uri(reverse("governance:decisions")),
        description=_("Besluiten over agendavoorstellen en professionele standaarden."),
        language="nl",
        feed_url=request.build_absolute_uri(request.path),
    )
    for d in selectors.decision_queryset()[:FEED_SIZE]:
        view = selectors.decision_view(None, d)
        link = request.build_absolute_uri(view.url)
        if view.masked:
            title = _("Besluit genomen (vertrouwelijk)")
            description = _("Reden van vertrouwelijkheid: %(r)s") % {"r": view.confidential_reason}
        else:
            title = f"{view.outcome_label}: {view.subject}"
            description = view.text + (f"\n\n{view.reasons}" if view.reasons else "")
        extra: dict[str, Any] = {"updateddate": view.decided_at}
        feed.add_item(
            title=title, link=link, description=description, unique_id=link, pubdate=view.decided_at, **extra
        )
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    feed.write(response, "utf-8")
    return response
