"""Atlas pages. Views parse input, call selectors (reads) and services (writes), and render."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from plek.accounts.selectors import user_find
from plek.atlas import permissions, selectors, services
from plek.atlas.boundaries import ATTRIBUTION
from plek.atlas.models import Hub, HubMembership, Network, Organisation, Person, Programme, Region
from plek.atlas.permissions import viewer_for
from plek.atlas.picture import map_measures, programme_picture
from plek.atlas.relations import relations_of
from plek.core.errors import PermissionDenied, ValidationFailed
from plek.core.history import history_for
from plek.core.models import Scale

# URL word -> (entity kind, singular label, plural label)
KINDS: dict[str, tuple[str, Any, Any]] = {
    "kennishubs": ("hub", gettext_lazy("kennishub"), gettext_lazy("Kennishubs")),
    "netwerken": ("network", gettext_lazy("netwerk"), gettext_lazy("Kennis- en leernetwerken")),
    "organisaties": ("organisation", gettext_lazy("organisatie"), gettext_lazy("Organisaties")),
    "kennishouders": ("person", gettext_lazy("kennishouder"), gettext_lazy("Kennishouders")),
    "programmas": ("programme", gettext_lazy("nationaal programma"), gettext_lazy("Nationale programma's")),
}
PLURAL_OF = {kind: plural for plural, (kind, _s, _p) in KINDS.items()}
KIND_CHOICES: dict[str, list[tuple[str, Any]]] = {
    "organisation": list(Organisation.Kind.choices),
    "network": list(Network.Kind.choices),
    "person": list(Person.KnowledgeKind.choices),
    "programme": list(Programme.Status.choices),
    "hub": [],
}


def _kind(plural: str) -> tuple[str, Any, Any]:
    if plural not in KINDS:
        raise Http404(plural)
    return KINDS[plural]


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "atlas/home.html", selectors.home_overview(viewer_for(request.user)))


def _region_or_404(code: str) -> Region:
    region = selectors.region_get(code)
    if region is None:
        raise Http404(code)
    return region


def region_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("soort", "province")
    if kind not in Region.Kind.values:
        kind = "province"
    regions = selectors.regions_of_kind(kind)
    return render(
        request, "atlas/region_list.html", {"regions": regions, "kind": kind, "kinds": Region.Kind.choices}
    )


def region_detail(request: HttpRequest, code: str) -> HttpResponse:
    region = _region_or_404(code)
    if region.code != code:
        return redirect("atlas:region", code=region.code)
    context = selectors.region_overview(viewer=viewer_for(request.user), region=region)
    context["section_labels"] = [
        ("hubs", _("Kennishubs"), "kennishubs"),
        ("programmes", _("Nationale programma's"), "programmas"),
        ("networks", _("Kennis- en leernetwerken"), "netwerken"),
        ("organisations", _("Organisaties"), "organisaties"),
        ("people", _("Kennishouders"), "kennishouders"),
    ]
    return render(request, "atlas/region_detail.html", context)


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(value or default)))
    except ValueError:
        return default


def region_busyness(request: HttpRequest, code: str) -> HttpResponse:
    region = _region_or_404(code)
    months = _int(request.GET.get("maanden"), 24, 1, 120)
    start = None
    if request.GET.get("vanaf"):
        try:
            start = dt.date.fromisoformat(request.GET["vanaf"])
        except ValueError:
            start = None
    data = selectors.region_busyness(region=region, start=start, months=months)
    data["month_choices"] = [6, 12, 24, 36, 60]
    data["budgets"] = selectors.busyness_budgets(
        viewer=viewer_for(request.user), region=region, programme_ids=data["programme_ids"]
    )
    template = "atlas/_busyness.html" if request.htmx else "atlas/busyness.html"  # type: ignore[attr-defined]
    return render(request, template, data)


MAP_KINDS = ["province", "municipality", "corop_region", "res_region", "novex_area", "safety_region"]


def map_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    region_kind = request.GET.get("soort", "province")
    if region_kind not in MAP_KINDS:
        region_kind = "province"
    measures = map_measures()
    measure = request.GET.get("maat", "busyness")
    if measure not in measures:
        measure = "busyness"
    spec = measures[measure]
    options = spec.options(viewer) if spec.options else []
    option = request.GET.get("keuze", "")
    if options and option not in {value for value, _label in options}:
        option = options[0][0]
    rows = selectors.map_measure(viewer=viewer, region_kind=region_kind, measure=measure, option=option)
    features = [
        {
            "type": "Feature",
            "geometry": row["region"].geometry,
            "properties": {
                "code": row["region"].code,
                "name": row["region"].display_name,
                "value": row["value"],
                "url": reverse("atlas:region", args=[row["region"].code]),
            },
        }
        for row in rows
        if row["region"].geometry
    ]
    return render(
        request,
        "atlas/map.html",
        {
            "rows": rows,
            "geojson": json.dumps({"type": "FeatureCollection", "features": features}),
            "region_kind": region_kind,
            "measure": measure,
            "measure_label": spec.label,
            "measure_caption": spec.caption,
            "measures": [(m.key, m.label) for m in measures.values()],
            "options": options,
            "option": option,
            "option_label": dict(options).get(option, ""),
            "region_kinds": [(k, Region.Kind(k).label) for k in MAP_KINDS],
            "has_geometry": bool(features),
            "without_geometry": sum(1 for row in rows if not row["region"].geometry),
            "attribution": ATTRIBUTION,
            "max_value": max((r["value"] or 0 for r in rows), default=0),
        },
    )


def _programme_picture(viewer: permissions.Viewer, programme: Programme) -> dict[str, Any]:
    """The programme's regional picture (a map and a table by province) and its budget."""
    picture = programme_picture(viewer=viewer, programme=programme)
    features = [
        {
            "type": "Feature",
            "geometry": row["region"].geometry,
            "properties": {
                "code": row["region"].code,
                "name": row["region"].display_name,
                "value": row["total"],
                "url": reverse("atlas:region", args=[row["region"].code]),
            },
        }
        for row in picture["rows"]
        if row["region"].geometry
    ]
    return {
        "picture": picture,
        "picture_geojson": json.dumps({"type": "FeatureCollection", "features": features}),
        "picture_has_geometry": bool(features),
        "attribution": ATTRIBUTION,
        "budget": selectors.programme_budget(viewer=viewer, programme=programme),
    }


def _graph_filters(request: HttpRequest) -> dict[str, Any]:
    theme = selectors.theme_find(request.GET.get("thema", ""))
    region = selectors.region_from_filter(request.GET["gebied"]) if request.GET.get("gebied") else None
    scale = request.GET.get("schaal", "")
    if scale not in Scale.values:
        scale = ""
    return {"theme": theme, "region": region, "scale": scale}


def _default_hub(viewer: permissions.Viewer) -> Hub | None:
    """The hub the default graph focuses on: the viewer's own hub, else the first by name."""
    hubs = selectors.hub_list()
    if viewer.hub_ids:
        own = hubs.filter(pk__in=sorted(viewer.hub_ids)).first()
        if own is not None:
            return own
    return hubs.first()


def graph_view(request: HttpRequest) -> HttpResponse:
    """By default the graph of one hub's neighbourhood (or one area), capped and grouped so it
    reads; `?alles=1` shows the whole field (the best-connected nodes up to the full cap)."""
    viewer = viewer_for(request.user)
    filters = _graph_filters(request)
    unknown_region = bool(request.GET.get("gebied")) and filters["region"] is None
    everything = request.GET.get("alles") == "1"
    hub_slug = request.GET.get("hub", "")
    focus = selectors.hub_find(hub_slug)
    unknown_hub = bool(hub_slug) and focus is None
    narrowed = filters["region"] is not None or filters["theme"] is not None or bool(filters["scale"])
    if focus is None and not everything and not narrowed and not unknown_region and not unknown_hub:
        focus = _default_hub(viewer)
    data = None
    if not unknown_region and not unknown_hub:
        data = selectors.graph_data(
            viewer=viewer,
            **filters,
            focus=None if everything else focus,
            max_nodes=selectors.GRAPH_MAX_NODES if everything else selectors.GRAPH_FOCUS_NODES,
            group=not everything,
        )
    kind_labels = {
        "hub": _("kennishub"),
        "network": _("netwerk"),
        "organisation": _("organisatie"),
        "programme": _("nationaal programma"),
    }
    group_labels = {
        "hub": _("overige kennishubs"),
        "network": _("overige netwerken"),
        "organisation": _("overige organisaties"),
        "programme": _("overige programma's"),
    }
    if data:
        for node in data["nodes"]:
            if node["kind"] == "group":
                node["label"] = f"+ {node['count']} {group_labels[node['group_of']]}"
    return render(
        request,
        "atlas/graph.html",
        {
            "data": data,
            "data_json": json.dumps(data) if data else "null",
            "filters": filters,
            "isolated": [
                n
                for n in [*data["nodes"], *data["alone"]]
                if n.get("isolated", True) and n["kind"] == "network"
            ]
            if data
            else [],
            "themes": selectors.theme_list(),
            "hubs": selectors.hub_list().only("slug", "name"),
            "scales": Scale.choices,
            "unknown_region": unknown_region,
            "unknown_hub": unknown_hub,
            "focus": None if everything else focus,
            "everything": everything,
            "gebied": request.GET.get("gebied", ""),
            "kind_labels": kind_labels,
            "groups": [(group_labels[k], n) for k, n in sorted(data["groups"].items())] if data else [],
        },
    )


def _list_filters(request: HttpRequest) -> tuple[selectors.ListFilters, list[str]]:
    errors = []
    theme = region = None
    if request.GET.get("thema"):
        theme = selectors.theme_find(request.GET["thema"])
        if theme is None:
            errors.append(_("Onbekend thema."))
    if request.GET.get("gebied"):
        region = selectors.region_from_filter(request.GET["gebied"])
        if region is None:
            errors.append(_("Onbekende gebiedscode: %(code)s.") % {"code": request.GET["gebied"]})
    scale = request.GET.get("schaal", "")
    return selectors.ListFilters(
        q=request.GET.get("q", "")[:200],
        theme=theme,
        region=region,
        scale=scale if scale in Scale.values else "",
        kind=request.GET.get("soort", "")[:40],
    ), errors


def entity_list(request: HttpRequest, plural: str) -> HttpResponse:
    kind, singular, title = _kind(plural)
    viewer = viewer_for(request.user)
    filters, errors = _list_filters(request)
    page = selectors.entity_page(
        kind,
        viewer=viewer,
        filters=filters,
        page=_int(request.GET.get("pagina"), 1, 1, 100000),
        size=_int(request.GET.get("per"), 25, 1, 100),
    )
    rows = page.object_list
    if kind == "person":
        rows = [selectors.person_view(viewer, p) for p in rows]
    query = request.GET.copy()
    query.pop("pagina", None)
    context = {
        "plural": plural,
        "kind": kind,
        "title": title,
        "singular": singular,
        "page": page,
        "rows": rows,
        "filters": filters,
        "errors": errors,
        "themes": selectors.theme_list(),
        "scales": Scale.choices,
        "kind_choices": KIND_CHOICES[kind],
        "can_create": permissions.can_create(viewer, kind),
        "query": query.urlencode(),
        "gebied": request.GET.get("gebied", ""),
    }
    template = "atlas/_list_results.html" if request.htmx else "atlas/entity_list.html"  # type: ignore[attr-defined]
    return render(request, template, context, status=400 if errors else 200)


def _get(kind: str, slug: str, viewer: permissions.Viewer) -> Any:
    return selectors.entity_get(kind, slug, viewer=viewer)


def entity_detail(request: HttpRequest, plural: str, slug: str) -> HttpResponse:
    kind, singular, title = _kind(plural)
    viewer = viewer_for(request.user)
    obj = _get(kind, slug, viewer)
    context: dict[str, Any] = {
        "plural": plural,
        "kind": kind,
        "singular": singular,
        "title": title,
        "obj": obj,
        "can_change": permissions.can_change(viewer, obj, kind),
        "can_delete": permissions.can_delete(viewer, obj, kind),
        "can_see_history": permissions.can_see_history(viewer, obj, kind),
        # members of a hub (and admins) see its working pages, such as the questions dashboard
        "works_in_hub": kind == "hub" and permissions.works_in_hub(viewer, obj),
    }
    if kind == "person":
        context["person"] = selectors.person_view(viewer, obj)
        context.update(selectors.person_related(viewer, obj))
    else:
        context.update(selectors.entity_related(kind, obj, viewer))
    if kind == "programme":
        context.update(_programme_picture(viewer, obj))
    context["relations"] = relations_of(kind, obj, viewer)
    if kind == "programme":  # sections of higher layers (e.g. the questions referred to it)
        from plek.core.hooks import hooks

        context["sections"] = [
            section(request=request, viewer=viewer, programme=obj) for section in hooks.programme_sections
        ]
    return render(request, f"atlas/detail_{kind}.html", context)


@require_http_methods(["GET", "POST"])
def entity_edit(request: HttpRequest, plural: str, slug: str | None = None) -> HttpResponse:
    kind, singular, title = _kind(plural)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    viewer = viewer_for(request.user)
    instance = _get(kind, slug, viewer) if slug else None
    allowed = (
        permissions.can_change(viewer, instance, kind) if instance else permissions.can_create(viewer, kind)
    )
    if not allowed:
        return render(request, "403.html", {"reason": _("U mag dit niet wijzigen.")}, status=403)
    form = services.entity_form(kind, viewer=viewer, data=request.POST or None, instance=instance)
    if request.method == "POST":
        try:
            obj = services.entity_save(viewer=viewer, kind=kind, form=form)
        except ValidationFailed:
            pass  # the bound form carries the errors
        except PermissionDenied:
            return HttpResponseForbidden()
        else:
            messages.success(request, _("Opgeslagen."))
            return redirect("atlas:detail", plural=plural, slug=obj.slug)
    return render(
        request,
        "atlas/entity_form.html",
        {
            "form": form,
            "plural": plural,
            "singular": singular,
            "title": title,
            "obj": instance,
        },
        status=422 if form.is_bound and form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def entity_delete(request: HttpRequest, plural: str, slug: str) -> HttpResponse:
    kind, singular, _title = _kind(plural)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    viewer = viewer_for(request.user)
    obj = _get(kind, slug, viewer)
    if not permissions.can_delete(viewer, obj, kind):
        return render(request, "403.html", {"reason": _("U mag dit niet verwijderen.")}, status=403)
    if request.method == "POST":
        services.entity_delete(viewer=viewer, kind=kind, instance=obj)
        messages.success(request, _("Verwijderd."))
        return redirect("atlas:list", plural=plural)
    return render(request, "atlas/entity_delete.html", {"obj": obj, "plural": plural, "singular": singular})


def person_data(request: HttpRequest, slug: str) -> HttpResponse:
    """Download of everything PLeK holds about a person (for that person and administrators)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    viewer = viewer_for(request.user)
    person = selectors.person_get(slug)
    try:
        data = services.person_data_export(viewer=viewer, person=person)
    except PermissionDenied:
        return render(request, "403.html", {"reason": _("Alleen de persoon zelf en beheerders.")}, status=403)
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="plek-{person.slug}.json"'
    return response


def entity_history(request: HttpRequest, plural: str, slug: str) -> HttpResponse:
    kind, _singular, _title = _kind(plural)
    viewer = viewer_for(request.user)
    obj = _get(kind, slug, viewer)
    if not permissions.can_see_history(viewer, obj, kind):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return render(
            request,
            "403.html",
            {"reason": _("Alleen coördinatoren en beheerders zien de geschiedenis.")},
            status=403,
        )
    return render(request, "atlas/history.html", {"obj": obj, "plural": plural, "entries": history_for(obj)})


@require_http_methods(["GET", "POST"])
def hub_members(request: HttpRequest, slug: str) -> HttpResponse:
    """Coordinators (and administrators) keep their hub's membership: add, change role, remove."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    viewer = viewer_for(request.user)
    hub = selectors.hub_get(slug)
    if not permissions.can_change(viewer, hub, "hub"):
        return render(
            request, "403.html", {"reason": _("Alleen coördinatoren van deze kennishub.")}, status=403
        )
    error = None
    if request.method == "POST":
        who = request.POST.get("user", "").strip()
        role = request.POST.get("role") or None
        user = user_find(who)
        if user is None:
            error = _("Geen account gevonden met deze gebruikersnaam of dit e-mailadres.")
        else:
            try:
                services.hub_membership_set(viewer=viewer, hub=hub, user=user, role=role)
            except ValidationFailed as exc:
                error = " ".join(m for msgs in exc.errors.values() for m in msgs)
            else:
                messages.success(request, _("Lidmaatschap bijgewerkt."))
                return redirect("atlas:hub_members", slug=hub.slug)
    members = selectors.hub_members(hub)
    return render(
        request,
        "atlas/hub_members.html",
        {
            "hub": hub,
            "members": members,
            "roles": HubMembership.Role.choices,
            "error": error,
        },
        status=422 if error else 200,
    )


def region_suggest(request: HttpRequest) -> JsonResponse:
    """Suggestions for the area picker: every kind, by name or code, at most 12; one query."""
    kinds = [k for k in request.GET.get("soort", "").split(",") if k in Region.Kind.values]
    rows = selectors.region_suggest(request.GET.get("q", ""), kinds=kinds or None)
    return JsonResponse(
        {
            "results": [
                {
                    "code": r.code,
                    "label": f"{r.label} ({r.code})",
                    "kind": r.kind,
                    "kind_label": r.get_kind_display(),
                }
                for r in rows
            ]
        }
    )


@require_http_methods(["GET", "POST"])
def custom_area_new(request: HttpRequest) -> HttpResponse:
    """A coordinator composes an own area from municipalities."""
    from plek.atlas.forms import CustomAreaForm

    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    viewer = viewer_for(request.user)
    if not permissions.can_create_custom_area(viewer):
        return render(
            request,
            "403.html",
            {"reason": _("Alleen coördinatoren van een kennishub maken eigen gebieden.")},
            status=403,
        )
    form = CustomAreaForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                area = services.custom_area_create(
                    viewer=viewer,
                    name=form.cleaned_data["name"],
                    name_en=form.cleaned_data["name_en"],
                    description=form.cleaned_data["description"],
                    municipalities=list(form.cleaned_data["municipalities"]),
                )
            except ValidationFailed as exc:
                for field_name, errors in exc.errors.items():
                    for error in errors:
                        form.add_error(field_name if field_name in form.fields else None, error)
            else:
                messages.success(request, _("Het gebied %(name)s is gemaakt.") % {"name": area.name})
                return redirect("atlas:region", code=area.code)
        status = 400
    return render(request, "atlas/custom_area_form.html", {"form": form}, status=status)
