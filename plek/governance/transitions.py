"""The transition tables of governance: one per workflow, and who may take each step.

Roles are relative to the viewer and the item (see `permissions.roles_for`):

* ``raiser`` — who raised the signal (may withdraw it while it is new);
* ``initiative`` — a member of the Initiative group (any role): reviews and bundles signals, drafts
  and submits proposals, drafts standards and puts them out for consultation;
* ``chair`` — the chair or secretary of the Steering group: puts proposals on a meeting agenda,
  records decisions (also the adoption of a standard), follows up and closes;
* ``admin`` — a platform administrator, only where a table lists them.

Signals: new → review → bundled (into a proposal) → closed (with a reason; a duplicate is closed
*merged into* another signal, its supporters move along). A bundled signal goes back to review when
its proposal comes to nothing.

Proposals: draft → submitted → scheduled (on a Steering group meeting agenda) → decided (adopted,
adopted with amendments, rejected, deferred) → follow_up (actions) → closed. A deferred proposal goes
back on an agenda (decided → scheduled); a rejected one is closed; an adopted one is followed up.
Extra conditions per step (outcome, all actions finished) are checked in `services`.

Standards (per version): draft → consultation → adopted (by a recorded decision) → superseded (when
a later version is adopted). A consultation can be stopped (back to draft) for rework.
"""

from __future__ import annotations

from plek.governance.models import Proposal, Signal, StandardVersion

RAISER = "raiser"
INITIATIVE = "initiative"
CHAIR = "chair"
ADMIN = "admin"
ROLES = (RAISER, INITIATIVE, CHAIR, ADMIN)

_INITIATIVE = frozenset({INITIATIVE, ADMIN})
_CHAIR = frozenset({CHAIR, ADMIN})

SG = Signal.State
SIGNAL_TRANSITIONS: dict[str, dict[str, frozenset[str]]] = {
    SG.NEW: {SG.REVIEW: _INITIATIVE, SG.BUNDLED: _INITIATIVE, SG.CLOSED: _INITIATIVE | {RAISER}},
    SG.REVIEW: {SG.BUNDLED: _INITIATIVE, SG.CLOSED: _INITIATIVE},
    SG.BUNDLED: {SG.REVIEW: _INITIATIVE, SG.CLOSED: _INITIATIVE | _CHAIR},
    SG.CLOSED: {},
}

P = Proposal.State
PROPOSAL_TRANSITIONS: dict[str, dict[str, frozenset[str]]] = {
    P.DRAFT: {P.SUBMITTED: _INITIATIVE, P.CLOSED: _INITIATIVE},
    P.SUBMITTED: {P.SCHEDULED: _CHAIR, P.DRAFT: _INITIATIVE},
    P.SCHEDULED: {P.DECIDED: _CHAIR, P.SUBMITTED: _CHAIR},
    P.DECIDED: {P.FOLLOW_UP: _CHAIR, P.SCHEDULED: _CHAIR, P.CLOSED: _CHAIR},
    P.FOLLOW_UP: {P.CLOSED: _CHAIR},
    P.CLOSED: {},
}

V = StandardVersion.State
STANDARD_TRANSITIONS: dict[str, dict[str, frozenset[str]]] = {
    V.DRAFT: {V.CONSULTATION: _INITIATIVE},
    V.CONSULTATION: {V.ADOPTED: _CHAIR, V.DRAFT: _INITIATIVE},
    V.ADOPTED: {V.SUPERSEDED: _CHAIR},
    V.SUPERSEDED: {},
}

TABLES: dict[str, dict[str, dict[str, frozenset[str]]]] = {
    "signal": SIGNAL_TRANSITIONS,
    "proposal": PROPOSAL_TRANSITIONS,
    "standard": STANDARD_TRANSITIONS,
}

# Keyword extras each step accepts (anything else is refused, so a typo never passes silently).
EXTRA_FIELDS: dict[str, dict[str, frozenset[str]]] = {
    "signal": {SG.CLOSED: frozenset({"merged_into"}), SG.BUNDLED: frozenset({"proposal"})},
    "proposal": {
        P.SCHEDULED: frozenset({"meeting"}),
        P.DECIDED: frozenset({"outcome", "decision_text", "reasons", "confidential", "confidential_reason"}),
    },
    "standard": {
        V.CONSULTATION: frozenset({"closes_on"}),
        V.ADOPTED: frozenset({"decision_text", "reasons", "meeting"}),
    },
}
NOTE_REQUIRED: dict[str, frozenset[str]] = {
    "signal": frozenset({SG.CLOSED}),
    "proposal": frozenset({P.CLOSED}),
    "standard": frozenset(),
}


def allowed_roles(workflow: str, from_state: str, to_state: str) -> frozenset[str] | None:
    """Who may take the step, or None when the table has no such step."""
    return TABLES[workflow].get(from_state, {}).get(to_state)


def all_transitions(workflow: str) -> list[tuple[str, str, frozenset[str]]]:
    return [(src, dst, roles) for src, steps in TABLES[workflow].items() for dst, roles in steps.items()]
