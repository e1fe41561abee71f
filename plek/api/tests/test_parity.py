"""API parity: every action a page offers (a URL whose view handles a POST) has an API operation,
or is listed here with the reason it has none. A new page form without an operation fails this
test until it gets one (or a reasoned place in one of the lists below)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.views.generic import RedirectView

from plek.api import export_schema

# Page action (URL name) -> the operationId(s) doing the same over the API.
PAGE_ACTIONS: dict[str, tuple[str, ...]] = {
    "atlas:create": (
        "createRegion",
        "createTheme",
        "createOrganisation",
        "createPerson",
        "createNetwork",
        "createHub",
        "createProgramme",
        "createRelation",
    ),
    "atlas:edit": (
        "updateRegion",
        "updateTheme",
        "updateOrganisation",
        "updatePerson",
        "updateNetwork",
        "updateHub",
        "updateProgramme",
        "updateRelation",
    ),
    "atlas:delete": (
        "deleteRegion",
        "deleteTheme",
        "deleteOrganisation",
        "deletePerson",
        "deleteNetwork",
        "deleteHub",
        "deleteProgramme",
        "deleteRelation",
    ),
    "atlas:invitations": ("createInvitation",),
    "atlas:custom_area_new": ("createCustomArea",),
    "atlas:hub_members": ("listHubMembers", "setHubMember", "removeHubMember"),
    "atlas:person_consent": ("recordPersonConsent", "getPersonConsent"),
    "knowledge:create": ("createKnowledge",),
    "knowledge:edit": ("updateKnowledge", "uploadKnowledgeAttachment"),
    "knowledge:attachment_delete": ("deleteKnowledgeAttachment",),
    "knowledge:delete": ("deleteKnowledge",),
    "knowledge:vectors_start": ("startEmbedRun", "getSearchVectors"),
    "knowledge:vectors_cancel": ("cancelEmbedRun",),
    "brokering:intake": ("createQuestion",),
    "brokering:intake-similar": ("suggestForQuestionText",),
    "brokering:step": ("transitionQuestion",),
    "brokering:match-feedback": ("judgeMatch",),
    "brokering:introduce": ("introduce",),
    "brokering:answer": ("publishAnswer",),
    "brokering:introduction": ("respondToIntroduction",),
    "brokering:introduction-respond": ("respondToIntroduction",),
    "brokering:overlap": ("runOverlap",),
    "strategy:solve": ("createRun",),
    "strategy:run_cancel": ("cancelRun",),
    "strategy:indicator_new": ("createIndicator",),
    "strategy:study_new": ("createStudy",),
    "strategy:study_edit": ("updateStudy",),
    "strategy:variant_new": ("createVariant",),
    "strategy:variant_edit": ("updateVariant",),
    "strategy:indicator_import": ("importIndicatorObservations",),
    "strategy:units_import": ("importStudyUnits",),
    "strategy:indicator_targets": ("setIndicatorTarget",),
    "strategy:target_delete": ("deleteIndicatorTarget",),
    "learning:create": ("createLearningTrajectory",),
    "learning:edit": ("updateLearningTrajectory",),
    "learning:delete": ("deleteLearningTrajectory",),
    "learning:participant_add": ("addLearningParticipant",),
    "learning:agenda_item_new": ("createLearningAgendaItem",),
    "learning:agenda_item_change": ("changeLearningAgendaItem",),
    "learning:agenda_item_pass_on": ("passOnLearningBarrier",),
    "learning:session_new": ("createLearningSession", "deleteLearningSession"),
    "learning:event_new": ("createLearningTimelineEvent", "deleteLearningTimelineEvent"),
    "learning:lesson_create": ("createLesson",),
    "learning:lesson_publish": ("publishLesson",),
    "learning:session_edit": ("updateLearningSession",),
    "learning:quote_new": ("createLearningQuote", "listLearningQuotes"),
    "learning:lesson_edit": ("updateLesson",),
    "governance:signal_new": ("createSignal",),
    "governance:signal_support": ("supportSignal",),
    "governance:signal_step": ("transitionSignal",),
    "governance:proposal_step": ("transitionProposal",),
    "governance:proposal_evidence": ("addProposalEvidence",),
    "governance:proposal_action": ("createFollowUpAction",),
    "governance:action_update": ("updateFollowUpAction",),
    "governance:standard_step": ("transitionStandardVersion",),
    "governance:standard_comment": ("createConsultationComment", "listConsultationComments"),
    "governance:standard_assess": ("createSelfAssessment", "getSelfAssessment"),
    "governance:follow": ("followGovernance", "unfollowGovernance", "listGovernanceFollows"),
    "governance:proposal_new": ("createProposal",),
    "governance:proposal_edit": ("updateProposal",),
    "governance:meetings": ("createMeeting",),
    "governance:meeting": ("recordMeetingMinutes",),
    "governance:standard_new": ("createStandard",),
    "governance:standard_version": ("createStandardVersion",),
    "notifications:read": ("markNotificationsRead",),
    "notifications:preferences": ("setNotificationPreferences",),
    "federation:sources": ("listHarvestSources", "createHarvestSource"),
    "federation:source_action": ("runHarvestSource", "updateHarvestSource"),
    "federation:import": ("importKnowledge",),
    "federation:import_job_confirm": ("confirmImportJob", "getImportJob"),
}

# Page-only for good: they belong to a browser session or an e-mailed link, not to a client program.
PAGE_ONLY: dict[str, str] = {
    "set_language": "the interface language of a browser session",
    "accounts:tokens": "API tokens are made in the browser: a token does not mint tokens",
    "accounts:token_revoke": "API tokens are managed in the browser, where they were made",
    "accounts:my_data_erase": "erasing one's account is confirmed in the browser, signed in",
    "atlas:invitation-accept": "an e-mailed link that signs the invitee up in the browser",
    "notifications:unsubscribe": "a signed link in an e-mail",
    "accounts:login": "signing in (the API takes the session or a bearer token made after it)",
    "federation:oai": "OAI-PMH is a protocol of its own (see docs/federation.md), not a page form",
}
# Django's admin and django-allauth (sign-in, sign-up, password, e-mail, MFA) are page-only as a whole.
PAGE_ONLY_MODULES = ("django.contrib.admin", "django.contrib.auth.admin", "allauth.")


def _patterns(resolver: URLResolver, namespace: str = "") -> Iterator[tuple[str, Any]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace
            yield from _patterns(entry, inner or namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), entry.callback


def handles_post(callback: Any) -> bool:
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        return hasattr(view_class, "post") and not issubclass(view_class, RedirectView)
    try:
        source = inspect.getsource(inspect.unwrap(callback))
    except (OSError, TypeError):
        return False
    return "POST" in source


def page_actions() -> set[str]:
    """Names of the URLs whose views handle a POST, except the admin's and allauth's."""
    return {
        name
        for name, callback in _patterns(get_resolver())
        if handles_post(callback)
        and not str(getattr(callback, "__module__", "")).startswith(PAGE_ONLY_MODULES)
    }


@pytest.fixture(scope="module")
def operation_ids() -> set[str]:
    schema = export_schema.live_schema()
    return {
        op["operationId"] for item in schema["paths"].values() for op in item.values() if "operationId" in op
    }


def test_the_check_sees_page_forms() -> None:
    found = page_actions()
    assert {"governance:proposal_evidence", "learning:session_new", "set_language"} <= found
    assert "governance:decisions" not in found  # a read-only page


def test_every_page_action_has_an_api_operation_or_a_reason() -> None:
    listed = set(PAGE_ACTIONS) | set(PAGE_ONLY)
    missing = sorted(page_actions() - listed)
    assert missing == [], "give each page action an API operation (or a reasoned entry here)"


def test_the_lists_name_real_page_actions_once() -> None:
    actions = page_actions()
    lists = [set(PAGE_ACTIONS), set(PAGE_ONLY)]
    assert sorted(set().union(*lists) - actions) == []
    assert all(not (a & b) for i, a in enumerate(lists) for b in lists[i + 1 :])


def test_the_operations_named_exist(operation_ids: set[str]) -> None:
    named = {op for ops in PAGE_ACTIONS.values() for op in ops}
    assert sorted(named - operation_ids) == []
