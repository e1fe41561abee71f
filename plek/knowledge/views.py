"""Knowledge pages and the search page."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from plek.atlas import selectors as atlas_selectors
from plek.atlas.models import Network, Organisation, Person, Programme
from plek.atlas.permissions import viewer_for
from plek.core.errors import PermissionDenied, ValidationFailed
from plek.core.history import history_for
from plek.core.models import Scale
from plek.core.pagecache import rendered_for
from plek.knowledge import permissions, selectors, services
from plek.knowledge.forms import AttachmentForm
from plek.knowledge.models import KnowledgeItem
from plek.knowledge.rendering import render_markdown, schema_org_jsonld
from plek.knowledge.search import thesaurus

TYPE_LABELS = {
    "": gettext_lazy("Alles"),
    "knowledge": gettext_lazy("Kennis"),
    "person": gettext_lazy("Kennishouders"),
    "organisation": gettext_lazy("Organisaties"),
    "network": gettext_lazy("Netwerken"),
    "hub": gettext_lazy("Kennishubs"),
    "programme": gettext_lazy("Programma's"),
    "question": gettext_lazy("Kennisvragen"),
    "trajectory": gettext_lazy("Leertrajecten"),
    "lesson": gettext_lazy("Lessen"),
    "decision": gettext_lazy("Besluiten"),
}


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(value or default)))
    except ValueError:
        return default


def parse_search(request: HttpRequest) -> tuple[selectors.SearchParams, list[str]]:
    get = request.GET
    errors: list[str] = []
    theme = region = None
    if get.get("theme"):
        theme = atlas_selectors.theme_find(get["theme"])
        if theme is None:
            errors.append(_("Onbekend thema: %(v)s.") % {"v": get["theme"][:50]})
    if get.get("region"):
        region = atlas_selectors.region_get(get["region"].strip()[:40])
        if region is None:
            errors.append(_("Onbekende gebiedscode: %(v)s.") % {"v": get["region"][:40]})
    type_ = get.get("type") or None
    if type_ and type_ not in selectors.SEARCH_TYPES:
        errors.append(_("Onbekend type: %(v)s.") % {"v": type_[:30]})
        type_ = None
    scale = get.get("scale") or None
    if scale and scale not in Scale.values:
        errors.append(_("Onbekend schaalniveau: %(v)s.") % {"v": scale[:30]})
        scale = None
    year = None
    if get.get("year"):
        try:
            year = int(get["year"])
        except ValueError:
            errors.append(_("Jaar moet een getal zijn."))
    return selectors.SearchParams(
        q=get.get("q", "")[: selectors.MAX_QUERY_CHARS],
        type=type_,
        theme=theme,
        region=region,
        scale=scale,
        kind=(get.get("kind") or None),
        year=year,
        language=(get.get("language") or None),
        sort="date" if get.get("sort") == "date" else "relevance",
        page=_int(get.get("page"), 1, 1, 500),
        size=20,
    ), errors


RELATED_PHRASES = 3  # everyday phrases of the query whose policy terms the search page offers
RELATED_TERMS = 3  # terms offered per phrase


def search_page(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    params, errors = parse_search(request)
    found = selectors.search(viewer=viewer, params=params)
    who = None
    if params.q and params.region and params.type in (None, "person"):
        who = selectors.who_knows(viewer=viewer, text=params.q, region=params.region, limit=5)
    base = request.GET.copy()
    for key in ("page",):
        base.pop(key, None)
    # The words reports use for the searcher's everyday words, offered as searches of their own.
    related = [
        (e.phrase, e.terms[:RELATED_TERMS]) for e in thesaurus.expand(params.q or "")[:RELATED_PHRASES]
    ]
    context: dict[str, Any] = {
        "found": found,
        "related": related,
        "params": params,
        "errors": errors,
        "who": who,
        "type_labels": TYPE_LABELS,
        "query": base,
        "themes": atlas_selectors.theme_list(),
        "scales": Scale.choices,
        "kind_labels": {
            **dict(Organisation.Kind.choices),
            **dict(Network.Kind.choices),
            **dict(Programme.Status.choices),
            **dict(Person.KnowledgeKind.choices),
            **dict(KnowledgeItem.Kind.choices),
        },
        "scale_labels": dict(Scale.choices),
        "language_labels": dict(KnowledgeItem.Language.choices),
    }
    template = (
        "knowledge/_search_results.html" if getattr(request, "htmx", False) else "knowledge/search.html"
    )
    if errors:
        return render(request, template, context, status=400)
    # For the anonymous page cache: the template renders again only when what was found changed.
    # Scores are left out: they move with every document added (the corpus statistics), unseen.
    parts = (
        [replace(h, score=0.0) for h in found.result.hits],
        found.result.total,
        found.result.facets,
        found.result.relaxed,
        found.result.estimated,
        [(replace(w.hit, score=0.0), w.reasons) for w in who or ()],
        related,
    )
    return rendered_for(request, parts, ("atlas",), lambda: render(request, template, context))


def item_list(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    page = selectors.items_for_list(
        viewer=viewer,
        page=_int(request.GET.get("pagina"), 1, 1, 100000),
        size=_int(request.GET.get("per"), 25, 1, 100),
    )
    return render(
        request, "knowledge/list.html", {"page": page, "can_create": permissions.can_create(viewer)}
    )


def _item(request: HttpRequest, slug: str) -> tuple[Any, KnowledgeItem]:
    viewer = viewer_for(request.user)
    return viewer, selectors.knowledge_get_or_404(viewer=viewer, slug=slug)


def item_detail(request: HttpRequest, slug: str) -> HttpResponse:
    viewer, item = _item(request, slug)
    return render(
        request,
        "knowledge/detail.html",
        {
            "item": item,
            "body_html": render_markdown(item.body),
            "jsonld": schema_org_jsonld(item, request.build_absolute_uri())
            if item.visibility == "public"
            else "",
            "related": selectors.related_items(viewer=viewer, item=item),
            "can_change": permissions.can_change(viewer, item),
            "can_delete": permissions.can_delete(viewer, item),
            "can_see_history": permissions.can_see_history(viewer, item),
        },
    )


@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    viewer = viewer_for(request.user)
    item = None
    if slug:
        viewer, item = _item(request, slug)
    allowed = permissions.can_change(viewer, item) if item else permissions.can_create(viewer)
    if not allowed:
        return render(request, "403.html", {"reason": _("U mag dit niet wijzigen.")}, status=403)
    form = services.knowledge_form(viewer=viewer, data=request.POST or None, instance=item)
    upload_form = AttachmentForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            saved = services.knowledge_save(viewer=viewer, form=form, upload=upload)
        except ValidationFailed as exc:
            if "file" in exc.errors:
                upload_form.add_error("file", exc.errors["file"])
        except PermissionDenied:
            return render(request, "403.html", status=403)
        else:
            messages.success(request, _("Opgeslagen."))
            return redirect("knowledge:detail", slug=saved.slug)
    invalid = form.is_bound and (bool(form.errors) or bool(upload_form.errors))
    return render(
        request,
        "knowledge/form.html",
        {"form": form, "upload_form": upload_form, "item": item},
        status=422 if invalid else 200,
    )


@require_http_methods(["GET", "POST"])
def item_delete(request: HttpRequest, slug: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    viewer, item = _item(request, slug)
    if not permissions.can_delete(viewer, item):
        return render(request, "403.html", status=403)
    if request.method == "POST":
        services.knowledge_delete(viewer=viewer, item=item)
        messages.success(request, _("Verwijderd."))
        return redirect("knowledge:list")
    return render(request, "knowledge/delete.html", {"item": item})


def attachment_download(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    _viewer, item = _item(request, slug)
    attachment = selectors.attachment_get(item=item, pk=pk)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not attachment.content_type.startswith("image/"),
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


@require_POST
def attachment_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    viewer, item = _item(request, slug)
    attachment = selectors.attachment_get(item=item, pk=pk)
    try:
        services.attachment_delete(viewer=viewer, attachment=attachment)
    except PermissionDenied:
        return render(request, "403.html", status=403)
    return redirect("knowledge:edit", slug=item.slug)


def item_history(request: HttpRequest, slug: str) -> HttpResponse:
    viewer, item = _item(request, slug)
    if not permissions.can_see_history(viewer, item):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return render(request, "403.html", status=403)
    return render(
        request,
        "knowledge/history.html",
        {
            "item": item,
            "entries": history_for(item),
            "versions": list(item.versions.all()[:50]),
        },
    )


# ---- the search index's vectors (administrators) ---------------------------------------------------


def _search_admin(request: HttpRequest) -> HttpResponse | None:
    """None when the visitor may look after the search index; else the answer (sign in, or 403)."""
    if not request.user.is_authenticated:
        return redirect_to_login(
            request.get_full_path() if request.method == "GET" else reverse("knowledge:vectors")
        )
    if not permissions.can_manage_search(viewer_for(request.user)):
        return render(request, "403.html", status=403)
    return None


def _vectors_context(overview: selectors.EmbedOverview) -> dict[str, Any]:
    run = overview.run
    kind = TYPE_LABELS.get(run.kind, run.kind) if run is not None and run.kind else ""
    seconds = None
    if run is not None and run.started_at and run.finished_at:
        seconds = max(0, round((run.finished_at - run.started_at).total_seconds()))
    return {"o": overview, "run": run, "kind_label": kind, "seconds": seconds}


def vectors_page(request: HttpRequest) -> HttpResponse:
    """The search index and its vectors: figures, the latest run's progress (polled every second by
    htmx while it waits or runs), "Vectoren bijwerken" and "Stoppen"."""
    refused = _search_admin(request)
    if refused is not None:
        return refused
    context = _vectors_context(selectors.embed_overview())
    if request.headers.get("HX-Request"):
        return render(request, "knowledge/_vectors_progress.html", {**context, "polled": True})
    return render(request, "knowledge/vectors.html", context)


@require_POST
def vectors_start(request: HttpRequest) -> HttpResponse:
    refused = _search_admin(request)
    if refused is not None:
        return refused
    try:
        _run, started = services.embed_run_request(viewer=viewer_for(request.user))
    except PermissionDenied:
        return render(request, "403.html", status=403)
    except ValidationFailed as exc:
        messages.error(request, " ".join(m for msgs in exc.errors.values() for m in msgs))
        return redirect("knowledge:vectors")
    if started:
        messages.success(request, _("De worker werkt de vectoren bij."))
    else:
        messages.info(request, _("Er loopt al een run; hieronder ziet u de voortgang."))
    return redirect("knowledge:vectors")


@require_POST
def vectors_cancel(request: HttpRequest) -> HttpResponse:
    refused = _search_admin(request)
    if refused is not None:
        return refused
    try:
        run = services.embed_run_cancel(viewer=viewer_for(request.user))
    except PermissionDenied:
        return render(request, "403.html", status=403)
    if run is None:
        messages.info(request, _("Er loopt geen run."))
    elif run.status == run.Status.CANCELLED:
        messages.success(request, _("De run is gestopt."))
    else:
        messages.success(request, _("De run stopt na de reeks documenten waar de worker nu aan werkt."))
    return redirect("knowledge:vectors")
