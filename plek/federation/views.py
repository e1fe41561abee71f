"""Pages and endpoints of federation: the OAI-PMH provider, the DCAT catalogue, the sitemap, harvest
sources and the knowledge import page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from plek.federation.provider import Provider


def _site(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


@csrf_exempt
@require_http_methods(["GET", "POST", "HEAD"])
def oai(request: HttpRequest) -> HttpResponse:
    params = request.POST if request.method == "POST" else request.GET
    provider = Provider(request.build_absolute_uri(reverse("federation:oai")), _site(request))
    body = provider.respond({k: params.getlist(k) for k in params})
    return HttpResponse(body, content_type="text/xml; charset=utf-8")


def oai_schema(request: HttpRequest) -> HttpResponse:
    from pathlib import Path

    xsd = (Path(__file__).parent / "schemas" / "plek-kennis.xsd").read_bytes()
    return HttpResponse(xsd, content_type="text/xml; charset=utf-8")


def knowledge_feed(request: HttpRequest) -> HttpResponse:
    """The newest public knowledge as an Atom feed (always as an anonymous visitor sees it)."""
    from django.utils.feedgenerator import Atom1Feed
    from django.utils.translation import gettext as _

    from plek.federation.provider import exposed_items

    feed = Atom1Feed(
        title=_("PLeK — nieuwe kennis"),
        link=request.build_absolute_uri(reverse("knowledge:list")),
        description=_("De nieuwste openbare kennis op PLeK."),
        language="nl",
        feed_url=request.build_absolute_uri(request.path),
    )
    for item in exposed_items().order_by("-updated_at", "-id")[:FEED_SIZE]:
        link = request.build_absolute_uri(reverse("knowledge:detail", args=[item.slug]))
        feed.add_item(
            title=item.title,
            link=link,
            description=item.summary,
            unique_id=link,
            pubdate=item.created_at,
            updateddate=item.updated_at,
        )
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    feed.write(response, "utf-8")
    return response


FEED_SIZE = 50


def dcat_catalogue(request: HttpRequest, fmt: str) -> HttpResponse:
    from plek.federation.catalogue import catalogue_graph

    graph = catalogue_graph(_site(request), request.build_absolute_uri())
    if fmt == "ttl":
        return HttpResponse(graph.serialize(format="turtle"), content_type="text/turtle; charset=utf-8")
    return HttpResponse(graph.serialize(format="json-ld"), content_type="application/ld+json; charset=utf-8")


def sitemap(request: HttpRequest) -> HttpResponse:
    from lxml import etree

    from plek.federation.catalogue import sitemap_urls

    ns = "http://www.sitemaps.org/schemas/sitemap/0.9"
    root = etree.Element(f"{{{ns}}}urlset", nsmap={None: ns})
    for loc, when in sitemap_urls(_site(request)):
        url = etree.SubElement(root, f"{{{ns}}}url")
        etree.SubElement(url, f"{{{ns}}}loc").text = loc
        if when is not None:
            etree.SubElement(url, f"{{{ns}}}lastmod").text = when.date().isoformat()
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return HttpResponse(body, content_type="application/xml; charset=utf-8")
