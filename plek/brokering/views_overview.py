"""Overview pages of knowledge brokering: the overlap page ("samenhang": the same question asked in
several hubs, regions or programmes) and the dashboards (one hub's, and the national one).

Views parse input, check who may, call the selectors (`overlap.overlap_clusters`,
`dashboards.hub_dashboard` / `dashboards.national_dashboard`, the same ones the API uses) and render.
Who may see which figures is explained in `dashboards.py`."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from plek.atlas.models import Region
from plek.atlas.permissions import Viewer, can_view, viewer_for
from plek.atlas.selectors import hub_get, region_by_code_or_name, theme_list
from plek.brokering import dashboards, permissions, selectors
from plek.brokering.overlap import latest_run, overlap_clusters, overlap_run

# ---- overlap ("samenhang") ------------------------------------------------------------------------------


class OverlapFilterForm(forms.Form):
    """The page's filters: a theme (slug) and an area (official code or exact name)."""

    thema = forms.ModelChoiceField(
        label=gettext_lazy("Thema"),
        queryset=theme_list().order_by("label_nl"),
        to_field_name="slug",
        required=False,
        empty_label=gettext_lazy("Alle thema's"),
    )
    gebied = forms.CharField(
        label=gettext_lazy("Gebied"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Code of naam, bijvoorbeeld GM0363 of Amsterdam."),
    )

    def clean_gebied(self) -> Region | None:
        value = (self.cleaned_data.get("gebied") or "").strip()
        if not value:
            return None
        region = region_by_code_or_name(value)
        if region is None:
            raise forms.ValidationError(
                gettext_lazy("Onbekend gebied: %(value)s. Gebruik een code (zoals GM0363) of de naam."),
                params={"value": value},
            )
        return region


def _join_url(cluster_view: Any) -> str:
    """The intake, pre-filled to ask the same question (title of the newest member, the cluster's
    theme)."""
    params: list[tuple[str, str]] = []
    if cluster_view.questions:
        params.append(("title", cluster_view.questions[0].title))
    theme = cluster_view.cluster.theme
    if theme is not None:
        params.append(("themes", theme.slug))
    return f"{reverse('brokering:intake')}?{urlencode(params)}"


def _reuse_links(viewer: Viewer, clusters: list[Any]) -> dict[int, str]:
    """Question id -> where to read its answer (the published knowledge item when the viewer may
    see it, else the answer on the question page). One query for all clusters."""
    ids = {q.pk for c in clusters for q in c.questions}
    links: dict[int, str] = {}
    if not ids:
        return links
    answers = selectors.answers_for(ids)
    for answer in answers:
        item = answer.knowledge_item
        if item is not None and can_view(viewer, item):
            links[answer.question_id] = reverse("knowledge:detail", args=[item.slug])
        else:
            links[answer.question_id] = reverse("brokering:detail", args=[answer.question.slug]) + "#antwoord"
    return links


@require_http_methods(["GET", "POST"])
def overlap(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    if request.method == "POST":
        if not viewer.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not permissions.can_run_overlap(viewer):
            reason = _(
                "Alleen coördinatoren van een kennishub en beheerders kunnen de vragen opnieuw laten vergelijken."
            )
            return render(request, "403.html", {"reason": reason}, status=403)
        run = overlap_run()
        messages.success(
            request,
            _("Vragen opnieuw vergeleken: %(questions)d vragen, %(clusters)d groepen.")
            % {"clusters": run.clusters, "questions": run.questions},
        )
        query = request.GET.urlencode()
        return redirect(reverse("brokering:overlap") + (f"?{query}" if query else ""))

    form = OverlapFilterForm(request.GET or None)
    theme = region = None
    clusters: list[Any] = []
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        if form.is_bound:
            theme, region = form.cleaned_data["thema"], form.cleaned_data["gebied"]
        clusters = overlap_clusters(viewer=viewer, theme=theme, region=region)
    reuse = _reuse_links(viewer, clusters)
    entries = []
    for c in clusters:
        members = [{"question": q, "reuse_url": reuse.get(q.pk)} for q in c.questions]
        reusable = next((m for m in members if m["reuse_url"]), None)
        entries.append({"view": c, "join_url": _join_url(c), "questions": members, "reusable": reusable})
    context = {
        "form": form,
        "error_fields": [f for f in form if f.errors],
        "entries": entries,
        "theme": theme,
        "region": region,
        "can_run": permissions.can_run_overlap(viewer),
        "last_run": latest_run(),
    }
    return render(request, "brokering/overlap.html", context, status=status)


# ---- dashboards -------------------------------------------------------------------------------------------


@require_GET
def dashboard_hub(request: HttpRequest, slug: str) -> HttpResponse:
    hub = hub_get(slug)
    viewer = viewer_for(request.user)
    if not viewer.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not permissions.can_see_hub_dashboard(viewer, hub):
        reason = _("Alleen leden en coördinatoren van deze kennishub en beheerders zien dit dashboard.")
        return render(request, "403.html", {"reason": reason}, status=403)
    board = dashboards.hub_dashboard(viewer=viewer, hub=hub)
    return render(request, "brokering/dashboard_hub.html", _context(viewer, board))


@require_GET
def dashboard_national(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    if not permissions.can_see_national_dashboard(viewer):
        return redirect_to_login(request.get_full_path())
    board = dashboards.national_dashboard(viewer=viewer)
    return render(request, "brokering/dashboard_national.html", _context(viewer, board))


def _context(viewer: Viewer, board: dashboards.Dashboard) -> dict[str, Any]:
    # Hubs whose own dashboard the viewer may open (links on the national page).
    openable = {
        r.hub.pk for r in board.hubs if r.hub is not None and permissions.can_see_hub_dashboard(viewer, r.hub)
    }
    return {"board": board, "openable_hub_ids": openable}
