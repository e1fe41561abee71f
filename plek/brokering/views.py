"""Question pages: the list, the intake, the question page with its workflow steps, matching,
introductions and answer, the introduced person's response page and the broker queue.

Views parse input, call selectors (reads) and services (writes) and render. The rules live in the
services: a refused step answers 403 (may not), 409 (the workflow has no such step now, e.g. a stale
form) or 422 (the form again with the field errors) and changes nothing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from plek.accounts.selectors import user_by_username
from plek.atlas.models import Programme
from plek.atlas.permissions import Viewer
from plek.atlas.permissions import viewer_for as _viewer_for
from plek.atlas.selectors import (
    entity_by_pk,
    people_by_ids,
    programme_get,
    region_from_filter,
    region_resolve,
    regions_by_code,
    theme_find,
    theme_list,
)
from plek.atlas.widgets import typed_parts
from plek.brokering import matching, permissions, selectors, services, transitions
from plek.brokering.models import MatchFeedback, Question
from plek.brokering.page_forms import (
    ERROR_FIELD,
    STEP_LABELS,
    AnswerForm,
    IntroduceForm,
    RespondForm,
    StepForm,
    show_errors,
)
from plek.core.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from plek.knowledge.rendering import render_markdown

S = Question.State
PAGE_SIZE = 25
SIMILAR_TEXT_CHARS = 2_000  # enough to find similar questions while typing
# States in which the people working on a question look for knowledge and people.
MATCHING_STATES = (S.TRIAGED, S.MATCHING, S.CONNECTED)
INTRODUCE_STATES = (S.MATCHING, S.CONNECTED)


def viewer_for(request: HttpRequest) -> Viewer:
    return _viewer_for(request.user)


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(value or default)))
    except ValueError:
        return default


def _forbidden(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "403.html", {"reason": reason or None}, status=403)


def _question_or_404(viewer: Viewer, slug: str) -> Question:
    return selectors.question_get_or_404(viewer=viewer, slug=slug)


# ==== the list ============================================================================================


def question_list(request: HttpRequest) -> HttpResponse:
    """Questions the viewer may see, newest first; filters state, theme (with sub-themes), area (with
    the areas it contains) and "asked by me". A fixed number of queries whatever the page size."""
    viewer = viewer_for(request)
    get = request.GET
    errors: list[str] = []
    state = get.get("status", "")
    if state and state not in S.values:
        errors.append(_("Onbekende status: %(v)s.") % {"v": state[:30]})
        state = ""
    theme = None
    if get.get("thema"):
        theme = theme_find(get["thema"])
        if theme is None:
            errors.append(_("Onbekend thema: %(v)s.") % {"v": get["thema"][:50]})
    region = None
    area = get.get("gebied", "").strip()[:200]
    if area:
        region = region_from_filter(area)
        if region is None:
            errors.append(_("Onbekende gebiedscode: %(v)s.") % {"v": area})
    mine = get.get("mijn") == "1" and viewer.is_authenticated
    filters = selectors.QuestionFilters(state=state, theme=theme, region=region, mine=mine)
    qs = selectors.question_list(viewer=viewer, filters=filters)
    page = Paginator(qs, PAGE_SIZE).get_page(_int(get.get("pagina"), 1, 1, 100_000))
    query = get.copy()
    query.pop("pagina", None)
    context = {
        "page": page,
        "errors": errors,
        "state": state,
        "theme": theme,
        "area": area,
        "mine": mine,
        "states": S.choices,
        "themes": theme_list(),
        "query": query.urlencode(),
        "can_ask": permissions.can_submit(viewer),
        "can_queue": permissions.may_use_queue(viewer),
        "now": timezone.now(),
    }
    template = "brokering/_list_results.html" if request.htmx else "brokering/list.html"  # type: ignore[attr-defined]
    return render(request, template, context, status=400 if errors else 200)


# ==== the intake ==========================================================================================


def _region_codes(data: QueryDict) -> tuple[list[str], list[str]]:
    """The codes of the chosen areas: ticked ones (`regions`) plus what was typed in the picker
    (`region_add`: "gemeente Utrecht (GM0344)", a code or a name; several separated by ";"), and
    the typed parts that name no area (passed on as they are, so the form names them as unknown)."""
    codes = [c.strip() for c in data.getlist("regions") if c.strip()]
    unresolved: list[str] = []
    for part in typed_parts(data.get("region_add", "")):
        found = region_resolve(part)
        if found is None:
            unresolved.append(part)
        else:
            codes.append(found.code)
    return list(dict.fromkeys(codes))[:100], unresolved


def _theme_picker(data: QueryDict | None, text: str) -> dict[str, Any]:
    """The themes part of the intake: themes suggested from the text first, then all the others.
    Suggestions are offered, never ticked for the asker: a guessed theme must not count as chosen."""
    ticked = set(data.getlist("themes")) if data is not None else set()
    shown = set(data.getlist("themes_shown")) if data is not None else set()
    suggested = matching.suggest_themes(text) if text.strip() else []
    suggested_ids = {t.pk for t in suggested}
    others = [t for t in theme_list() if t.pk not in suggested_ids]
    return {
        "suggested": suggested,
        "other_themes": others,
        "others_open": any(t.slug in ticked for t in others),
        "ticked": ticked,
        "shown": sorted(shown | {t.slug for t in suggested}),
    }


def _similar(viewer: Viewer, data: QueryDict | None) -> list[Any]:
    if data is None:
        return []
    text = f"{data.get('title', '')}\n{data.get('text', '')}".strip()[:SIMILAR_TEXT_CHARS]
    if len(text) < 3:
        return []
    codes = [c for c in data.getlist("regions") if c][:25]
    return matching.similar_questions(viewer=viewer, text=text, region_codes=codes or None, limit=5)


def _intake_context(viewer: Viewer, form: Any, data: QueryDict | None) -> dict[str, Any]:
    codes = data.getlist("regions") if data is not None else []
    chosen = regions_by_code(codes)
    text = f"{data.get('title', '')}\n{data.get('text', '')}" if data is not None else ""
    return {
        "form": form,
        "region_add": data.get("region_add", "") if data is not None else "",
        "chosen_regions": chosen,
        "show_programme": permissions.may_ask_for_programme(viewer),
        "similar": _similar(viewer, data),
        **_theme_picker(data, text[:SIMILAR_TEXT_CHARS]),
    }


@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    """Ask a question (signed-in only). Errors appear at each field; nothing is saved until all is valid."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    viewer = viewer_for(request)
    data = None
    if request.method == "POST":
        data = request.POST.copy()
        codes, unresolved = _region_codes(data)
        data.setlist("regions", codes + unresolved)
        data["region_add"] = "; ".join(unresolved)
        if not permissions.may_ask_for_programme(viewer):
            data.pop("programme", None)  # not offered; the form would refuse it anyway
    form = services.question_form(viewer=viewer, data=data)
    if data is not None:
        try:
            question = services.question_submit(viewer=viewer, form=form)
        except PermissionDenied:
            return _forbidden(request)
        except ValidationFailed:
            pass  # the bound form holds the errors
        else:
            messages.success(request, _("Uw vraag is ingediend. De kennishub neemt haar in behandeling."))
            return redirect("brokering:detail", slug=question.slug)
    status = 422 if data is not None else 200
    return render(request, "brokering/intake.html", _intake_context(viewer, form, data), status=status)


@require_http_methods(["GET", "POST"])
def intake_similar(request: HttpRequest) -> HttpResponse:
    """While typing on the intake: similar earlier questions (answered first) and suggested themes.
    An htmx partial; only questions the viewer may see."""
    if not request.user.is_authenticated:
        return _forbidden(request)
    viewer = viewer_for(request)
    data: QueryDict = (request.POST if request.method == "POST" else request.GET).copy()
    data.setlist("regions", [c for c in data.getlist("regions") if c][:25])
    text = f"{data.get('title', '')}\n{data.get('text', '')}"[:SIMILAR_TEXT_CHARS]
    context = {"similar": _similar(viewer, data), **_theme_picker(data, text)}
    return render(request, "brokering/_intake_similar.html", context)


def match_groups(matches: matching.Matches | None) -> list[tuple[str, str, list[matching.Candidate]]]:
    """The four groups of candidates with their headings."""
    if matches is None:
        return []
    return [
        ("kennis", _("Documenten en kennis"), matches.items),
        ("mensen", _("Deskundigen"), matches.people),
        ("groepen", _("Netwerken, kennishubs en organisaties"), matches.groups),
        ("vragen", _("Eerdere vragen"), matches.questions),
    ]


# ==== the question page ===================================================================================


def _referral_targets(viewer: Viewer, question: Question) -> list[tuple[str, list[tuple[str, str]]]]:
    targets = selectors.referral_targets(viewer=viewer, question=question)
    hubs, programmes, networks = targets["hub"], targets["programme"], targets["network"]
    return [
        (_("Kennishubs"), [(f"hub:{h.slug}", h.name) for h in hubs]),
        (_("Nationale programma's"), [(f"programme:{p.slug}", str(p)) for p in programmes]),
        (_("Netwerken"), [(f"network:{n.slug}", n.name) for n in networks]),
    ]


def _merge_targets(viewer: Viewer, question: Question) -> list[tuple[str, str]]:
    rows = (
        selectors.question_queryset(viewer=viewer)
        .exclude(pk=question.pk)
        .exclude(state=S.MERGED)
        .filter(owner_hub_id=question.owner_hub_id)
        .values_list("slug", "title")[:200]
    )
    return list(rows)


def _step_form(
    viewer: Viewer, question: Question, roles: frozenset[str], step: str, data: Any = None
) -> StepForm:
    kwargs: dict[str, Any] = {}
    if step == S.TRIAGED:
        kwargs["brokers"] = selectors.broker_choices(question=question)  # names shown
    elif step == S.REFERRED:
        kwargs["targets"] = _referral_targets(viewer, question)
    elif step == S.MERGED:
        kwargs["merge_targets"] = _merge_targets(viewer, question)
    rate = step == S.CLOSED and transitions.ASKER in roles and question.state in transitions.RATABLE_FROM
    if step == S.CLOSED and rate:
        kwargs["label"] = _("Beoordelen en afsluiten")
        kwargs["note_label"] = _("Toelichting bij het afsluiten")
    elif step == S.CLOSED and question.state not in transitions.RATABLE_FROM:
        kwargs["label"] = _("Vraag intrekken")
        kwargs["note_label"] = _("Waarom wordt de vraag ingetrokken?")
    elif step == S.MATCHING and question.state == S.ANSWERED:
        kwargs["label"] = _("Heropenen: het antwoord hielp niet")
        kwargs["note_label"] = _("Wat ontbreekt er nog?")
    elif step == S.MATCHING and question.state == S.CONNECTED:
        kwargs["label"] = _("Terug naar kennis zoeken")
    return StepForm(data, to_state=step, rate=rate, **kwargs)


def _accepted(question: Question) -> list[MatchFeedback]:
    return selectors.accepted_matches(question=question)


def _introduce_form(accepted: list[MatchFeedback], data: Any = None) -> IntroduceForm:
    targets = [
        (f"{fb.kind}:{fb.target_id}", f"{fb.title} ({fb.get_kind_display()})")
        for fb in accepted
        if fb.kind in (MatchFeedback.Kind.PERSON, MatchFeedback.Kind.NETWORK, MatchFeedback.Kind.ORGANISATION)
    ]
    return IntroduceForm(data, targets=targets)


def _answer_form(accepted: list[MatchFeedback], data: Any = None) -> AnswerForm:
    items = [(str(fb.target_id), fb.title) for fb in accepted if fb.kind == MatchFeedback.Kind.KNOWLEDGE]
    people = [(str(fb.target_id), fb.title) for fb in accepted if fb.kind == MatchFeedback.Kind.PERSON]
    return AnswerForm(data, items=items, people=people)


def _detail_context(
    viewer: Viewer,
    question: Question,
    *,
    bound_step: StepForm | None = None,
    introduce_form: IntroduceForm | None = None,
    answer_form: AnswerForm | None = None,
    problem: str = "",
    match_problem: str = "",
) -> dict[str, Any]:
    now = timezone.now()
    roles = permissions.question_roles(viewer, question)
    workers = bool(roles & transitions.WORKERS)
    allowed = permissions.transitions_for(viewer, question)
    steps = [s for s in allowed if s != S.ANSWERED]  # answering goes through the answer form
    step_forms = [
        bound_step
        if bound_step is not None and bound_step.step == s
        else _step_form(viewer, question, roles, s)
        for s in steps
    ]
    age = selectors.question_age(question, now=now)
    is_open = question.state in transitions.OPEN_STATES
    overdue = is_open and age.days >= selectors.overdue_days(question.owner_hub)
    answer = selectors.question_answer(question=question)
    matches = None
    accepted: list[MatchFeedback] = []
    if workers and question.state in MATCHING_STATES:
        try:
            matches = matching.match(viewer=viewer, question=question)
        except PermissionDenied:
            matches = None
        accepted = list(matches.accepted) if matches is not None else _accepted(question)
    elif workers:
        accepted = _accepted(question)
    can_introduce = workers and question.state in INTRODUCE_STATES
    can_answer = S.ANSWERED in allowed
    return {
        "question": question,
        "roles": roles,
        "workers": workers,
        "events": selectors.question_events(question=question),
        "state_labels": dict(S.choices),
        "age": age,
        "overdue": overdue,
        "past_deadline": is_open and question.wanted_by is not None and question.wanted_by < now.date(),
        "step_forms": step_forms,
        "answer": answer,
        "answer_html": render_markdown(answer.text) if answer is not None else "",
        "evaluation": selectors.question_evaluation(question=question),
        "matches": matches,
        "match_groups": match_groups(matches),
        "accepted": accepted,
        "introductions": selectors.introductions_for(viewer=viewer, question=question) if roles else [],
        "introduce_form": (introduce_form or _introduce_form(accepted)) if can_introduce else None,
        "answer_form": (answer_form or _answer_form(accepted)) if can_answer else None,
        "problem": problem,
        "match_problem": match_problem,
    }


def _render_detail(
    request: HttpRequest, viewer: Viewer, question: Question, status: int = 200, **kw: Any
) -> HttpResponse:
    return render(request, "brokering/detail.html", _detail_context(viewer, question, **kw), status=status)


def question_detail(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = viewer_for(request)
    return _render_detail(request, viewer, _question_or_404(viewer, slug))


def _conflict(request: HttpRequest, viewer: Viewer, slug: str, to_state: str) -> HttpResponse:
    question = _question_or_404(viewer, slug)  # fresh: the state someone else left it in
    problem = _(
        "Deze stap (%(step)s) kan nu niet: de vraag is intussen %(state)s. Er is niets gewijzigd; "
        "kies hieronder opnieuw."
    ) % {"step": STEP_LABELS.get(to_state, to_state), "state": question.get_state_display()}
    return _render_detail(request, viewer, question, status=409, problem=problem)


def _step_extras(viewer: Viewer, step: str, form: StepForm) -> dict[str, Any]:
    """The service's keyword extras from the form's values: public identifiers become objects; an
    identifier that names nothing is passed on as it is, so the service refuses it."""
    data = form.cleaned_data
    extras: dict[str, Any] = {}
    if step == S.TRIAGED and data.get("broker"):
        user = user_by_username(data["broker"])
        extras["broker"] = user or data["broker"]
    elif step == S.REFERRED:
        kind, _sep, slug = (data.get("target") or "").partition(":")
        if kind in ("hub", "programme", "network"):
            extras[f"referred_to_{kind}"] = selectors.referral_target(kind, slug) or slug
        else:
            extras["referred_to_hub"] = None
    elif step == S.MERGED:
        slug = data.get("merged_into") or ""
        extras["merged_into"] = selectors.question_get(viewer=viewer, slug=slug) if slug else None
    elif step == S.CLOSED and form.rate:
        if data.get("usefulness"):
            extras["usefulness"] = data["usefulness"]
        if data.get("comment"):
            extras["comment"] = data["comment"]
    return extras


@require_POST
def question_step(request: HttpRequest, slug: str) -> HttpResponse:
    """Take one step (`step`, with the extras of its form). `from_state` is the state the form was made
    for: when the question has moved since, nothing changes and the page says so (409)."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("brokering:detail", args=[slug]))
    viewer = viewer_for(request)
    question = _question_or_404(viewer, slug)
    roles = permissions.question_roles(viewer, question)
    if not roles:
        return _forbidden(request, _("U mag deze vraag niet verder brengen."))
    step = request.POST.get("step", "")
    if step not in S.values:
        return _render_detail(
            request, viewer, question, status=422, problem=_("Onbekende stap: %(s)s.") % {"s": step[:30]}
        )
    from_state = request.POST.get("from_state", "")
    if from_state and from_state != question.state:
        return _conflict(request, viewer, slug, step)
    form = _step_form(viewer, question, roles, step, request.POST)
    if not form.is_valid():
        return _render_detail(request, viewer, question, status=422, bound_step=form)
    try:
        services.question_transition(
            viewer=viewer,
            question=question,
            to_state=step,
            note=form.cleaned_data.get("note", ""),
            **_step_extras(viewer, step, form),
        )
    except PermissionDenied:
        return _forbidden(request, _("U mag deze stap niet zetten."))
    except TransitionNotAllowed:
        return _conflict(request, viewer, slug, step)
    except ValidationFailed as exc:
        show_errors(form, exc.errors, ERROR_FIELD)
        fresh = _question_or_404(viewer, slug)
        return _render_detail(request, viewer, fresh, status=422, bound_step=form)
    messages.success(
        request,
        _("De vraag is nu: %(state)s.") % {"state": dict(S.choices)[step]},
    )
    if selectors.question_get(viewer=viewer, slug=slug) is None:  # e.g. referred to another hub
        return redirect("brokering:queue")
    return redirect("brokering:detail", slug=slug)


# ==== matching, introductions, answer ====================================================================


def _worker_question(
    request: HttpRequest, slug: str, roles: frozenset[str] = transitions.WORKERS
) -> tuple[Viewer, Question] | HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("brokering:detail", args=[slug]))
    viewer = viewer_for(request)
    question = _question_or_404(viewer, slug)
    if not permissions.question_roles(viewer, question) & roles:
        return _forbidden(request, _("Alleen wie de vraag behandelt, ziet en beoordeelt de matches."))
    return viewer, question


def _matches_context(viewer: Viewer, question: Question, problem: str = "") -> dict[str, Any]:
    matches = matching.match(viewer=viewer, question=question)
    return {
        "question": question,
        "matches": matches,
        "match_groups": match_groups(matches),
        "accepted": matches.accepted,
        "state_labels": dict(S.choices),
        "standalone": True,
        "match_problem": problem,
    }


def question_matches(request: HttpRequest, slug: str) -> HttpResponse:
    """The matching candidates in four groups (also inline on the question page)."""
    found = _worker_question(request, slug)
    if isinstance(found, HttpResponse):
        return found
    viewer, question = found
    try:
        context = _matches_context(viewer, question)
    except PermissionDenied:
        return _forbidden(request)
    template = "brokering/_matches.html" if request.htmx else "brokering/matches.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@require_POST
def match_feedback(request: HttpRequest, slug: str) -> HttpResponse:
    """Accept or reject one candidate (`kind`, `target_id`, `decision`)."""
    found = _worker_question(request, slug)
    if isinstance(found, HttpResponse):
        return found
    viewer, question = found
    problem = ""
    status = 200
    target_id = _int(request.POST.get("target_id", "")[:20], 0, 0, 2**62)
    try:
        services.match_decide(
            viewer=viewer,
            question=question,
            kind=request.POST.get("kind", "")[:20],
            target_id=target_id,
            decision=request.POST.get("decision", "")[:20],
        )
    except PermissionDenied:
        return _forbidden(request)
    except ValidationFailed as exc:
        problem = " ".join(m for msgs in exc.errors.values() for m in msgs)
        status = 422
    if problem:
        # htmx swaps only 2xx answers; the message sits inside the part it swaps.
        status = 200 if request.htmx else status  # type: ignore[attr-defined]
        return _render_detail(request, viewer, question, status=status, match_problem=problem)
    return redirect(reverse("brokering:detail", args=[slug]) + "#matches")


@require_POST
def introduce(request: HttpRequest, slug: str) -> HttpResponse:
    """Introduce the asker to an accepted person or network; the person gets an e-mail with a link."""
    found = _worker_question(request, slug)
    if isinstance(found, HttpResponse):
        return found
    viewer, question = found
    form = _introduce_form(_accepted(question), request.POST)
    if not form.is_valid():
        return _render_detail(request, viewer, question, status=422, introduce_form=form)
    kind, _sep, raw_id = form.cleaned_data["target"].partition(":")
    target: dict[str, Any] = {}
    if kind not in (MatchFeedback.Kind.PERSON, MatchFeedback.Kind.ORGANISATION):
        kind = MatchFeedback.Kind.NETWORK
    target[str(kind)] = entity_by_pk(str(kind), int(raw_id))
    try:
        services.introduction_create(
            viewer=viewer,
            question=question,
            message=form.cleaned_data["message"],
            base_url=request.build_absolute_uri("/"),
            **target,
        )
    except PermissionDenied:
        return _forbidden(request)
    except TransitionNotAllowed:
        return _conflict(request, viewer, slug, S.CONNECTED)
    except ValidationFailed as exc:
        show_errors(form, exc.errors, {"person": "target", "network": "target", "organisation": "target"})
        return _render_detail(
            request, viewer, _question_or_404(viewer, slug), status=422, introduce_form=form
        )
    messages.success(request, _("De introductie is verstuurd."))
    return redirect(reverse("brokering:detail", args=[slug]) + "#introducties")


@require_POST
def answer(request: HttpRequest, slug: str) -> HttpResponse:
    """Publish the answer: a synthesis with sources; it becomes a knowledge item and the question answered.
    Also the brokers of the national programme the question was referred to."""
    found = _worker_question(request, slug, transitions.WORKERS | {transitions.PROGRAMME})
    if isinstance(found, HttpResponse):
        return found
    viewer, question = found
    form = _answer_form(_accepted(question), request.POST)
    if not form.is_valid():
        return _render_detail(request, viewer, question, status=422, answer_form=form)
    item_ids = [int(i) for i in form.cleaned_data["source_items"]]
    people_ids = [int(i) for i in form.cleaned_data["source_people"]]
    try:
        services.answer_publish(
            viewer=viewer,
            question=question,
            text=form.cleaned_data["text"],
            source_items=selectors.knowledge_by_ids(item_ids),
            source_people=people_by_ids(people_ids),
        )
    except PermissionDenied:
        return _forbidden(request)
    except TransitionNotAllowed:
        return _conflict(request, viewer, slug, S.ANSWERED)
    except ValidationFailed as exc:
        show_errors(form, exc.errors)
        return _render_detail(request, viewer, _question_or_404(viewer, slug), status=422, answer_form=form)
    messages.success(request, _("Het antwoord is gepubliceerd en bewaard in de kennisbank."))
    return redirect(reverse("brokering:detail", args=[slug]) + "#antwoord")


# ==== the introduced person's page ========================================================================


@require_http_methods(["GET", "POST"])
def introduction_respond(request: HttpRequest, token: str) -> HttpResponse:
    """The introduced person accepts or declines through the secret link in their e-mail; no login.
    After accepting they see the asker's e-mail address only when the asker agreed to share it."""
    introduction = services.introduction_by_secret(token)
    if introduction is None:
        raise Http404("introduction")
    form = RespondForm(request.POST or None)
    status = 200
    problem = ""
    if request.method == "POST" and form.is_valid():
        try:
            introduction = services.introduction_respond(
                secret=token, accept=request.POST.get("accept") == "1", note=form.cleaned_data["note"]
            )
        except ValidationFailed as exc:
            problem = " ".join(m for msgs in exc.errors.values() for m in msgs)
            status = 409
        else:
            return redirect("brokering:introduction-respond", token=token)
    elif request.method == "POST":
        status = 422
    question = introduction.question
    contact = selectors.asker_contact_for_introduction(introduction)
    return render(
        request,
        "brokering/introduction_respond.html",
        {
            "introduction": introduction,
            "question": question,
            "form": form,
            "problem": problem,
            "contact": contact,
            "invited_name": str(introduction.person or introduction.network),
            "asker_name": str(question.asker) if question.asker is not None else "",
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def introduction_signed_in(request: HttpRequest, pk: int) -> HttpResponse:
    """The introduced person, signed in (their account is linked to the person), answers the
    introduction here — reached from their notifications — instead of through the e-mailed link.
    Anyone else gets 404: an introduction is between the people involved."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    viewer = viewer_for(request)
    introduction = services.introduction_for_account(viewer=viewer, pk=pk)
    if introduction is None:
        raise Http404("introduction")
    form = RespondForm(request.POST or None)
    status, problem = 200, ""
    if request.method == "POST" and form.is_valid():
        try:
            introduction = services.introduction_respond_signed_in(
                viewer=viewer,
                introduction=introduction,
                accept=request.POST.get("accept") == "1",
                note=form.cleaned_data["note"],
            )
        except ValidationFailed as exc:
            problem = " ".join(m for msgs in exc.errors.values() for m in msgs)
            status = 409
        else:
            return redirect("brokering:introduction", pk=pk)
    elif request.method == "POST":
        status = 422
    question = introduction.question
    return render(
        request,
        "brokering/introduction_respond.html",
        {
            "introduction": introduction,
            "question": question,
            "form": form,
            "problem": problem,
            "contact": selectors.asker_contact_for_introduction(introduction),
            "invited_name": str(introduction.person or introduction.network),
            "asker_name": str(question.asker) if question.asker is not None else "",
        },
        status=status,
    )


# ==== a national programme's inbox ===========================================================================


def programme_section(*, request: HttpRequest, viewer: Viewer, programme: Programme) -> str:
    """The programme page's section: questions referred to the programme (those the viewer may see)
    and who brokers for it."""
    from django.template.loader import render_to_string

    return render_to_string(
        "brokering/_programme_questions.html",
        {
            "programme": programme,
            "questions": selectors.programme_questions(viewer=viewer, programme=programme),
            "brokers": selectors.programme_brokers(programme=programme),
            "is_broker": permissions.brokers_for_programme(viewer, programme),
        },
        request=request,
    )


def programme_inbox(request: HttpRequest, slug: str) -> HttpResponse:
    """The inbox of a national programme: the questions referred to it that wait for an answer. For the
    programme's brokers and administrators."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    viewer = viewer_for(request)
    programme = programme_get(slug)
    if not permissions.brokers_for_programme(viewer, programme):
        return _forbidden(request, _("Alleen de kennismakelaars van dit programma zien de inbox."))
    questions = selectors.programme_questions(viewer=viewer, programme=programme)
    return render(
        request,
        "brokering/programme_inbox.html",
        {
            "programme": programme,
            "waiting": [q for q in questions if q.state == S.REFERRED],
            "done": [q for q in questions if q.state != S.REFERRED],
        },
    )


# ==== the broker queue ====================================================================================


def queue(request: HttpRequest) -> HttpResponse:
    """The questions the viewer works on, oldest first: by state, only overdue, only mine."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    viewer = viewer_for(request)
    if not permissions.may_use_queue(viewer):
        return _forbidden(
            request, _("De wachtrij is voor kennismakelaars en coördinatoren van een kennishub.")
        )
    get = request.GET
    state = get.get("status", "")
    errors: list[str] = []
    if state and state not in selectors.QUEUE_STATES:
        errors.append(_("Onbekende status: %(v)s.") % {"v": state[:30]})
        state = ""
    overdue_only = get.get("te-laat") == "1"
    mine = get.get("mijn") == "1"
    found = selectors.broker_queue(
        viewer=viewer,
        states=[state] if state else None,
        mine=mine,
        overdue_only=overdue_only,
        page=_int(get.get("pagina"), 1, 1, 100_000),
        size=PAGE_SIZE,
    )
    labels = dict(S.choices)
    tabs = [(s, labels[s], found.counts.get(s, 0), found.overdue.get(s, 0)) for s in selectors.QUEUE_STATES]
    pages = max(1, -(-found.total // found.size))
    base = get.copy()
    base.pop("pagina", None)
    tab_base = get.copy()
    for key in ("pagina", "status"):
        tab_base.pop(key, None)
    return render(
        request,
        "brokering/queue.html",
        {
            "queue": found,
            "tabs": tabs,
            "all_count": sum(found.counts.get(s, 0) for s in selectors.QUEUE_STATES),
            "state": state,
            "overdue_only": overdue_only,
            "mine": mine,
            "errors": errors,
            "pages": pages,
            "query": base.urlencode(),
            "tab_query": tab_base.urlencode(),
        },
        status=400 if errors else 200,
    )
