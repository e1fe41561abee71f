"""API v1 for the brokering overviews: overlap clusters ("samenhang") and the question dashboards.

The same selectors as the pages (`plek.brokering.overlap`, `plek.brokering.dashboards`), so the
same visibility rules: a cluster lists only the questions the caller may see (and is left out when
fewer than two remain); dashboard figures count only the questions the caller may see."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router
from ninja.responses import Status

from plek.api import brokering_overview_schemas as os_
from plek.api.auth import viewer
from plek.api.common import (
    API_ROOT,
    Operations,
    created,
    found,
    item_ref,
    region_filter,
    region_ref,
    theme_filter,
    theme_ref,
)
from plek.atlas import selectors as atlas_selectors
from plek.brokering import dashboards, selectors
from plek.brokering.models import OverlapRun, Question
from plek.brokering.overlap import latest_run, overlap_clusters, overlap_run
from plek.core.errors import PermissionDenied

router = Router()


_op = Operations(router, tag="brokering", exclude_unset=False)


# ==== overlap ==============================================================================================


def run_out(run: OverlapRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "questions": run.questions,
        "clusters": run.clusters,
    }


def clusters_out(clusters: list[Any]) -> list[dict[str, Any]]:
    """Serialise cluster views; a fixed number of queries for any number of clusters."""
    questions: list[Question] = [q for c in clusters for q in c.questions]
    answered = selectors.answered_question_ids(q.pk for q in questions) if questions else set()
    return [
        {
            "id": c.cluster.pk,
            "label": str(c.label),
            "terms": c.cluster.terms,
            "theme": theme_ref(c.cluster.theme) if c.cluster.theme is not None else None,
            "regions": [region_ref(r) for r in c.regions],
            "programmes": [item_ref(p) for p in c.programmes],
            "hubs": [item_ref(h) for h in c.hubs],
            "questions": [
                {
                    "slug": q.slug,
                    "title": q.title,
                    "state": q.state,
                    "regions": [region_ref(r) for r in q.regions.all()],
                    "hub": item_ref(q.owner_hub) if q.owner_hub is not None else None,
                    "programme": item_ref(q.programme) if q.programme is not None else None,
                    "answered": q.pk in answered,
                }
                for q in c.questions
            ],
        }
        for c in clusters
    ]


@_op(
    "get", "/overlap", os_.OverlapOut, "listOverlap", "Similar questions across hubs, regions and programmes"
)
def list_overlap(request: HttpRequest, query: Query[os_.OverlapQuery]) -> dict[str, Any]:
    """Clusters of similar questions from the latest run of the overlap job. Each cluster holds only
    the questions you may see; a cluster with fewer than two of them is left out. `theme` (slug,
    with its sub-themes) and `region` (code, with the regions within it) narrow the clusters."""
    v = viewer(request)
    theme = theme_filter(query.theme)
    region = region_filter(query.region)
    clusters = overlap_clusters(viewer=v, theme=theme, region=region)
    run = latest_run()
    items = clusters_out(clusters)
    return {"run": run_out(run) if run is not None else None, "total": len(items), "items": items}


@_op(
    "post",
    "/overlap/runs",
    {201: os_.OverlapRunOut},
    "runOverlap",
    "Run the overlap job now (coordinators, admins)",
)
def run_overlap(request: HttpRequest, response: HttpResponse) -> Status:
    """Compare all questions again and replace the clusters. For coordinators of a hub and
    administrators; the job also runs every night (`plek brokering overlap`)."""
    v = viewer(request)
    if not dashboards.can_run_overlap(v):
        raise PermissionDenied("overlap")  # 401 for anonymous callers, else 403
    run = overlap_run()
    return created(request, response, f"{API_ROOT}/overlap", run_out(run))


# ==== dashboards ===========================================================================================


@_op(
    "get",
    "/hubs/{slug}/question-dashboard",
    os_.QuestionDashboardOut,
    "getHubQuestionDashboard",
    "A hub's question dashboard (its members, coordinators, admins)",
    problems=(403,),
)
def get_hub_dashboard(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Questions per month (last 12), by state and overdue, median days to the first accepted match
    and to the answer, the share answered from existing knowledge, and how often this hub's answers
    were reused. Counts only the questions you may see."""
    v = viewer(request)
    hub = found(lambda: atlas_selectors.hub_get(slug), f"There is no hub '{slug}'.")
    if not dashboards.can_see_hub_dashboard(v, hub):
        raise PermissionDenied("dashboard")
    return dashboards.as_json(dashboards.hub_dashboard(viewer=v, hub=hub))


@_op(
    "get",
    "/question-dashboard",
    os_.QuestionDashboardOut,
    "getQuestionDashboard",
    "The national question dashboard (signed-in users)",
)
def get_national_dashboard(request: HttpRequest) -> dict[str, Any]:
    """The same figures over all hubs, with one line per hub. For everyone signed in; counts only
    the questions you may see (private questions only for those who may read them)."""
    v = viewer(request)
    if not dashboards.can_see_national_dashboard(v):
        raise PermissionDenied("dashboard")
    return dashboards.as_json(dashboards.national_dashboard(viewer=v))
