"""API v1 for knowledge brokering: questions, their workflow and the broker queue.

Reads go through `plek.brokering.selectors` (visibility applied in the database); writes through
`plek.brokering.services` (`question_submit` with the shared QuestionForm, `question_transition`
with the one transition table), so pages and API keep the same rules. A step missing from the
table answers 409, a step the caller may not take 403, a missing or wrong extra 422; a refused
step changes nothing."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router
from ninja.responses import Status

from plek.api import brokering_schemas as bs
from plek.api.auth import READ_AUTH, viewer
from plek.api.common import (
    API_ROOT,
    Operations,
    created,
    item_ref,
    next_page_url,
    or_404,
    paginate,
    region_filter,
    region_ref,
    theme_filter,
    theme_ref,
    validation_problem,
)
from plek.api.errors import ApiError, camel_field
from plek.atlas import selectors as atlas_selectors
from plek.atlas.models import Hub
from plek.atlas.permissions import Viewer, can_view
from plek.brokering import matching, permissions, selectors, services
from plek.brokering.models import Answer, MatchFeedback, Question
from plek.core.errors import PermissionDenied, ValidationFailed
from plek.knowledge.selectors import knowledge_by_slug

router = Router()
_op = Operations(router, tag="brokering")


# ---- lookups ------------------------------------------------------------------------------------------


REFERENCES = ("merged_into", "referred_to_hub", "referred_to_programme", "referred_to_network")


def question_qs(v: Viewer) -> QuerySet[Question]:
    """The questions the viewer may see, with what serialising needs (fixed number of queries)."""
    return selectors.question_queryset(viewer=v, select=REFERENCES)


def question_or_404(v: Viewer, slug: str) -> Question:
    question = selectors.question_get(viewer=v, slug=slug, related=REFERENCES)
    return or_404(question, f"There is no question '{slug}' (or you may not see it).")


def hub_filter(slug: str | None) -> Hub | None:
    if not slug:
        return None
    hub = atlas_selectors.hub_find(slug)
    if hub is None:
        raise ApiError(400, f"Unknown hub '{slug}'.", invalid_params={"hub": "Unknown hub slug."})
    return hub


# ---- serialisation ---------------------------------------------------------------------------------


def _name(user: Any) -> str | None:
    return str(user) if user is not None else None


def question_out(v: Viewer, q: Question) -> dict[str, Any]:
    roles = permissions.question_roles(v, q)
    org = q.asker_organisation
    return {
        "uuid": q.uuid,
        "slug": q.slug,
        "title": q.title,
        "text": q.text,
        "context": q.context,
        "regions": [region_ref(r) for r in q.regions.all()],
        "themes": [theme_ref(t) for t in q.themes.all()],
        "answer_kind": q.answer_kind,
        "wanted_by": q.wanted_by,
        "asker": _name(q.asker) if roles else None,
        "asker_role": q.asker_role,
        "asker_organisation": item_ref(org) if org is not None and can_view(v, org) else None,
        "state": q.state,
        "submitted_at": q.submitted_at,
        "state_changed_at": q.state_changed_at,
        "owner_hub": item_ref(q.owner_hub) if q.owner_hub is not None else None,
        "broker": _name(q.broker),
        "visibility": q.visibility,
        "merged_into": q.merged_into.slug if q.merged_into is not None else None,
        "referred_to": {
            "hub": q.referred_to_hub.slug if q.referred_to_hub is not None else None,
            "programme": q.referred_to_programme.slug if q.referred_to_programme is not None else None,
            "network": q.referred_to_network.slug if q.referred_to_network is not None else None,
        },
        "transitions": permissions.transitions_for(v, q),
    }


def question_detail(v: Viewer, q: Question) -> dict[str, Any]:
    out = question_out(v, q)
    handles = bool(permissions.question_roles(v, q))
    out["events"] = [
        {
            "from_state": e.from_state,
            "to_state": e.to_state,
            # Who asked stays with the asker and the handlers, also in the timeline.
            "actor": _name(e.actor) if handles or e.actor_id != q.asker_id else None,
            "at": e.at,
            "note": e.note,
            "details": {camel_field(k): str(val) for k, val in (e.details or {}).items()},
        }
        for e in selectors.question_events(question=q)
    ]
    evaluation = selectors.question_evaluation(question=q)
    out["evaluation"] = (
        {"usefulness": evaluation.usefulness, "comment": evaluation.comment, "at": evaluation.at}
        if evaluation is not None
        else None
    )
    answer = selectors.question_answer(question=q)
    out["answer"] = answer_out(v, answer) if answer is not None else None
    out["programme"] = item_ref(q.programme) if q.programme_id and q.programme else None
    return out


# ---- writes ------------------------------------------------------------------------------------------


def _resolve(found: Any, value: str) -> Any:
    """The object a public identifier names, or the identifier itself when there is none: the
    service then refuses it (422) — after its permission checks, so a caller who may not take the
    step learns nothing about what exists."""
    return found if found is not None else value


def _atlas(kind: str, value: str) -> Any:
    return _resolve(atlas_selectors.entity_by_identifier(kind, value), value)


def transition_extras(v: Viewer, payload: bs.TransitionIn) -> dict[str, Any]:
    sent = {k: val for k, val in payload.model_dump(exclude_unset=True).items() if val is not None}
    extras: dict[str, Any] = {}
    for name, value in sent.items():
        if name in ("to", "note"):
            continue
        if name == "broker":
            extras[name] = _resolve(selectors.broker_by_username(value), value)
        elif name.startswith("referred_to_"):
            extras[name] = _atlas(name.removeprefix("referred_to_"), value)
        elif name == "merged_into":
            extras[name] = _resolve(selectors.question_get(viewer=v, slug=value), value)
        else:
            extras[name] = value
    return extras


# ==== questions ============================================================================================


@_op("get", "/questions", bs.QuestionPage, "listQuestions", "List knowledge questions")
def list_questions(request: HttpRequest, query: Query[bs.QuestionQuery]) -> dict[str, Any]:
    """Questions you may see, newest first. `region` includes every region it contains, `theme`
    its sub-themes; `hub` is the handling hub."""
    v = viewer(request)
    filters = selectors.QuestionFilters(
        state=query.state or "",
        hub=hub_filter(query.hub),
        region=region_filter(query.region),
        theme=theme_filter(query.theme),
    )
    qs = selectors.question_list(viewer=v, filters=filters, select=REFERENCES)
    return paginate(request, qs, query, lambda rows: [question_out(v, q) for q in rows])


@_op("post", "/questions", {201: bs.QuestionDetail}, "createQuestion", "Ask a question (signed-in users)")
def create_question(request: HttpRequest, payload: bs.QuestionIn, response: HttpResponse) -> Status:
    """The slug is made from the title; you are the asker. Without `ownerHub` the hub of the area
    handles the question. The question starts as `submitted`."""
    v = viewer(request)
    form = services.question_form(viewer=v, data=payload.model_dump())
    try:
        question = services.question_submit(viewer=v, form=form, source="api")
    except ValidationFailed as exc:
        raise validation_problem(exc) from None
    body = question_detail(v, question_or_404(v, question.slug))
    return created(request, response, f"{API_ROOT}/questions/{question.slug}", body)


@_op("get", "/questions/{slug}", bs.QuestionDetail, "getQuestion", "Get a knowledge question")
def get_question(request: HttpRequest, slug: str) -> dict[str, Any]:
    """One question with its timeline (`events`) and the asker's evaluation, if any."""
    v = viewer(request)
    return question_detail(v, question_or_404(v, slug))


@_op(
    "post",
    "/questions/{slug}/transitions",
    bs.QuestionDetail,
    "transitionQuestion",
    "Move a question to another state",
)
def transition_question(request: HttpRequest, slug: str, payload: bs.TransitionIn) -> dict[str, Any]:
    """Take one step of the brokering workflow. A step the workflow does not have from the current
    state answers 409 (naming `to`); a step you may not take 403; a missing or wrong extra 422 naming
    it. Extras: `broker` (triaged), `referredToHub` / `referredToProgramme` / `referredToNetwork`
    and a `note` (referred), `note` (declined), `mergedInto` (merged), `usefulness` and `comment`
    (closed by the asker)."""
    v = viewer(request)
    question = question_or_404(v, slug)
    extras = transition_extras(v, payload)
    try:
        services.question_transition(
            viewer=v, question=question, to_state=payload.to, note=payload.note, source="api", **extras
        )
    except ValidationFailed as exc:
        raise validation_problem(exc) from None
    # Re-read; after a referral the caller may no longer see it, but they just took the step.
    fresh = selectors.question_get(viewer=v, slug=question.slug, related=REFERENCES)
    if fresh is None:
        fresh = selectors.question_get(viewer=Viewer(is_admin=True), slug=question.slug, related=REFERENCES)
    return question_detail(v, fresh or question)


# ==== matching, introductions, answers ========================================================================


def answer_out(v: Viewer, a: Answer) -> dict[str, Any]:
    item = a.knowledge_item
    return {
        "text": a.text,
        "knowledge_item": item.slug if item is not None and can_view(v, item) else None,
        "source_items": [{"slug": i.slug, "name": i.title} for i in a.source_items.all() if can_view(v, i)],
        "source_people": [item_ref(p) for p in a.source_people.all() if can_view(v, p)],
        "from_existing": a.from_existing,
        "published_at": a.published_at,
    }


def candidate_out(c: matching.Candidate) -> dict[str, Any]:
    return {
        "kind": c.kind,
        "id": c.id,
        "slug": c.slug,
        "title": c.title,
        "url": c.url,
        "score": c.score,
        "reasons": c.reasons,
        "snippet": c.snippet,
        "state": c.state,
        "decision": c.decision,
    }


def feedback_out(f: MatchFeedback) -> dict[str, Any]:
    return {
        "kind": f.kind,
        "target_id": f.target_id,
        "title": f.title,
        "decision": f.decision,
        "score": f.score,
        "rank": f.rank,
        "reason": f.reason,
        "actor": _name(f.actor),
        "at": f.at,
    }


@_op(
    "get",
    "/question-suggestions",
    bs.SuggestionsOut,
    "suggestForQuestion",
    "Themes and similar questions for a text",
)
def question_suggestions(request: HttpRequest, query: Query[bs.SuggestionsQuery]) -> dict[str, Any]:
    """While someone types a question: the themes it seems to be about and similar earlier questions
    you may see (answered ones first), so you can read an answer instead of asking again."""
    codes = [c.strip() for c in query.regions.split(",") if c.strip()][:25]
    return _suggestions(viewer(request), query.text, codes)


@_op(
    "post",
    "/question-suggestions",
    bs.SuggestionsOut,
    "suggestForQuestionText",
    "Themes and similar questions for a long text",
    auth=READ_AUTH,
)
def question_suggestions_post(request: HttpRequest, payload: bs.SuggestionsIn) -> dict[str, Any]:
    """The same answer as `GET /question-suggestions`, with the text in a JSON body: for questions
    longer than a URL can carry (up to 20,000 characters). It changes nothing."""
    codes = [c.strip() for c in payload.regions if c.strip()][:25]
    return _suggestions(viewer(request), payload.text, codes)


def _suggestions(v: Viewer, text: str, codes: list[str]) -> dict[str, Any]:
    return {
        "themes": [theme_ref(t) for t in matching.suggest_themes(text, viewer=v)],
        "questions": [
            candidate_out(c) for c in matching.similar_questions(viewer=v, text=text, region_codes=codes)
        ],
    }


@_op("get", "/questions/{slug}/matches", bs.MatchesOut, "getQuestionMatches", "Matching candidates (brokers)")
def get_matches(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Ranked candidates of four kinds with a score and readable reasons, for the question's broker,
    the handling hub's coordinators and administrators (others: 403). Rejected candidates are left
    out; accepted ones are marked and listed in `accepted`."""
    v = viewer(request)
    found = matching.match(viewer=v, question=question_or_404(v, slug))
    return {
        "items": [candidate_out(c) for c in found.items],
        "people": [candidate_out(c) for c in found.people],
        "groups": [candidate_out(c) for c in found.groups],
        "questions": [candidate_out(c) for c in found.questions],
        "accepted": [feedback_out(f) for f in found.accepted],
    }


@_op(
    "post",
    "/questions/{slug}/matches/feedback",
    bs.MatchFeedbackOut,
    "judgeMatch",
    "Accept or reject a candidate",
)
def judge_match(request: HttpRequest, slug: str, payload: bs.MatchFeedbackIn) -> dict[str, Any]:
    """Accept or reject one candidate; a rejected candidate never comes back for this question. The
    score, rank and reasons it had are stored with your verdict."""
    v = viewer(request)
    question = question_or_404(v, slug)
    try:
        fb = services.match_decide(
            viewer=v,
            question=question,
            kind=payload.kind,
            target_id=payload.target_id,
            decision=payload.decision,
        )
    except ValidationFailed as exc:
        raise validation_problem(exc) from None
    return feedback_out(fb)


def introduction_out(view: selectors.IntroductionView) -> dict[str, Any]:
    i = view.introduction
    return {
        "id": i.pk,
        "name": view.name,
        "kind": "person" if i.person_id else "network",
        "status": i.status,
        "contact": view.contact,
        "message": i.message,
        "response_note": i.response_note,
        "created_at": i.created_at,
        "responded_at": i.responded_at,
    }


@_op(
    "get",
    "/questions/{slug}/introductions",
    list[bs.IntroductionOut],
    "listIntroductions",
    "Introductions of a question",
)
def list_introductions(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    """For the asker and those who broker the question (others get an empty list): who was
    introduced, whether they accepted, and their e-mail once they did."""
    v = viewer(request)
    question = question_or_404(v, slug)
    return [introduction_out(i) for i in selectors.introductions_for(viewer=v, question=question)]


@_op(
    "post",
    "/questions/{slug}/introductions",
    {201: bs.IntroductionOut},
    "introduce",
    "Introduce the asker to a person or network",
)
def introduce(request: HttpRequest, slug: str, payload: bs.IntroductionIn, response: HttpResponse) -> Status:
    """Brokers: connect the asker with a person (`person`) or a network (`network`, e-mailed to its
    coordinator). They get an e-mail with a private link to accept or decline; no contact details
    are shared before they accept. Moves a question in `matching` to `connected`."""
    v = viewer(request)
    question = question_or_404(v, slug)
    person = _atlas("person", payload.person) if payload.person else None
    network = _atlas("network", payload.network) if payload.network else None
    organisation = _atlas("organisation", payload.organisation) if payload.organisation else None
    errors: dict[str, list[str]] = {}
    if isinstance(person, str):
        errors["person"] = ["There is no such person."]
    if isinstance(network, str):
        errors["network"] = ["There is no such network."]
    if isinstance(organisation, str):
        errors["organisation"] = ["There is no such organisation."]
    try:
        if errors:
            # permission first: a caller who may not introduce learns nothing about who exists
            services.require_worker(v, question)
            raise ValidationFailed(errors)
        intro = services.introduction_create(
            viewer=v,
            question=question,
            person=person,
            network=network,
            organisation=organisation,
            message=payload.message,
            base_url=request.build_absolute_uri("/"),
        )
    except ValidationFailed as exc:
        raise validation_problem(exc) from None
    view = next(
        i for i in selectors.introductions_for(viewer=v, question=question) if i.introduction.pk == intro.pk
    )
    return created(
        request, response, f"{API_ROOT}/questions/{question.slug}/introductions", introduction_out(view)
    )


@_op(
    "post",
    "/introductions/{secret}/response",
    bs.IntroductionResponseOut,
    "respondToIntroduction",
    "Accept or decline an introduction (the link from the e-mail)",
    auth=READ_AUTH,
)
def respond_to_introduction(
    request: HttpRequest, secret: str, payload: bs.IntroductionResponseIn
) -> dict[str, Any]:
    """For the person introduced: the secret from the e-mailed link is the credential. Once only."""
    try:
        intro = services.introduction_respond(secret=secret, accept=payload.accept, note=payload.note)
    except ValidationFailed as exc:
        raise validation_problem(exc) from None
    except PermissionDenied:
        raise ApiError(404, "There is no such introduction.") from None
    return {
        "status": intro.status,
        "question": intro.question.title,
        "asker_contact": selectors.asker_contact_for_introduction(intro),
    }


@_op("post", "/questions/{slug}/answer", {201: bs.AnswerOut}, "publishAnswer", "Publish the answer (brokers)")
def publish_answer(request: HttpRequest, slug: str, payload: bs.AnswerIn, response: HttpResponse) -> Status:
    """The synthesis with its sources. Publishing makes a knowledge item of kind
    `answered_question` (same visibility as the question, found by search) and moves the question
    to `answered`; the asker then closes it with a rating."""
    v = viewer(request)
    question = question_or_404(v, slug)
    items = [_resolve(knowledge_by_slug(s), s) for s in payload.source_items[:50]]
    people = [_atlas("person", s) for s in payload.source_people[:50]]
    try:
        services.require_answerer(v, question)
        errors: dict[str, list[str]] = {}
        if any(isinstance(i, str) for i in items):
            errors["source_items"] = ["There is no such knowledge item."]
        if any(isinstance(p, str) for p in people):
            errors["source_people"] = ["There is no such person."]
        if errors:
            raise ValidationFailed(errors)
        answer = services.answer_publish(
            viewer=v,
            question=question,
            text=payload.text,
            source_items=items,
            source_people=people,
            source="api",
        )
    except ValidationFailed as exc:
        raise validation_problem(exc) from None
    return created(request, response, f"{API_ROOT}/questions/{question.slug}", answer_out(v, answer))


# ==== the broker queue =======================================================================================


@_op("get", "/queue", bs.QueuePage, "getQueue", "The broker queue (brokers and coordinators)")
def get_queue(request: HttpRequest, query: Query[bs.QueueQuery]) -> dict[str, Any]:
    """The questions you work on — of the hubs you coordinate and those assigned to you
    (administrators: all) — oldest first. `mine`: only those assigned to you; `overdue`: only
    those waiting longer than their hub allows."""
    v = viewer(request)
    if not permissions.may_use_queue(v):
        raise PermissionDenied("queue")  # 401 for anonymous callers, else 403
    hub = hub_filter(query.hub)
    queue = selectors.broker_queue(
        viewer=v,
        states=[query.state] if query.state else None,
        mine=query.mine,
        overdue_only=query.overdue,
        hub=hub,
        page=query.page,
        size=query.page_size,
        select=REFERENCES,
    )
    return {
        "items": [
            {
                "question": question_out(v, e.question),
                "age_days": e.age.days,
                "overdue": e.overdue,
                "past_deadline": e.past_deadline,
            }
            for e in queue.entries
        ],
        "page": query.page,
        "page_size": query.page_size,
        "total": queue.total,
        "next": next_page_url(request, query.page, query.page_size, queue.total),
        "counts": queue.counts,
        "overdue_counts": queue.overdue,
    }
