"""The one table of a question's allowed state changes and who may make each.

Roles are relative to the question (see `permissions.question_roles`):

* ``asker`` — the person the question is for;
* ``coordinator`` — a coordinator of the hub that handles it (`Question.owner_hub`);
* ``broker`` — the user assigned at triage;
* ``programme`` — a broker of the national programme the question was referred to
  (`ProgrammeBroker`): they may answer it;
* ``admin`` — a platform administrator. Admins may make a step only where the table lists them;
  they can never make a step that is not in the table.

The path: submitted → triaged (a coordinator accepts it and may assign a broker) → matching →
connected (introductions made) → answered → closed (with the asker's evaluation). Beside it:

* **Withdrawal.** The asker may withdraw an open question at any time: that is ``closed`` with a note
  (no separate state: the event row says who closed it and why). Coordinators cannot close a question
  that is still being worked on — they decline it, with a reason, so the asker learns why.
* **Answered is not the end.** The asker (or a coordinator, when the asker stays silent) closes it;
  the asker may instead reopen it (back to ``matching``) when the answer did not help.
* **Back a step.** ``connected → matching`` when introductions came to nothing.
* **Straight to answered.** ``matching → answered`` when existing knowledge answers the question and
  nobody needs to be introduced.
* **Referral** (escalation across scale levels) to another hub, a national programme or a network,
  with a handover note; before the question is answered. Referred to a hub, the question moves to
  that hub (its ``owner_hub``) and its coordinators triage or decline it there. Referred to a
  programme or network, the handling hub keeps it; a referral to a programme lands in the programme's
  inbox and the programme's brokers answer it (``referred → answered``); otherwise the hub closes it
  (or takes it back into triage) when the other side has answered.
* **Declined** (with a reason) and **merged** (into a duplicate) are for coordinators, up to the
  moment introductions are made.
* ``closed``, ``declined`` and ``merged`` are final.

Required extras per step are checked in `services.question_transition` (see EXTRA_FIELDS).
"""

from __future__ import annotations

from plek.brokering.models import Question

S = Question.State

ASKER = "asker"
COORDINATOR = "coordinator"
BROKER = "broker"
ADMIN = "admin"
PROGRAMME = "programme"
ROLES = (ASKER, COORDINATOR, BROKER, ADMIN, PROGRAMME)

HANDLERS = frozenset({COORDINATOR, ADMIN})  # accept, refuse, route
WORKERS = frozenset({BROKER, COORDINATOR, ADMIN})  # do the brokering
WITHDRAW = frozenset({ASKER, ADMIN})  # close an open question
CONCLUDE = frozenset({ASKER, COORDINATOR, ADMIN})  # close (or reopen) once answered or handed over

TRANSITIONS: dict[str, dict[str, frozenset[str]]] = {
    S.SUBMITTED: {
        S.TRIAGED: HANDLERS,
        S.REFERRED: HANDLERS,
        S.DECLINED: HANDLERS,
        S.MERGED: HANDLERS,
        S.CLOSED: WITHDRAW,
    },
    S.TRIAGED: {
        S.MATCHING: WORKERS,
        S.REFERRED: HANDLERS,
        S.DECLINED: HANDLERS,
        S.MERGED: HANDLERS,
        S.CLOSED: WITHDRAW,
    },
    S.MATCHING: {
        S.CONNECTED: WORKERS,
        S.ANSWERED: WORKERS,
        S.REFERRED: HANDLERS,
        S.DECLINED: HANDLERS,
        S.MERGED: HANDLERS,
        S.CLOSED: WITHDRAW,
    },
    S.CONNECTED: {
        S.ANSWERED: WORKERS,
        S.MATCHING: WORKERS,
        S.REFERRED: HANDLERS,
        S.CLOSED: WITHDRAW,
    },
    S.ANSWERED: {
        S.CLOSED: CONCLUDE,
        S.MATCHING: CONCLUDE,
    },
    S.REFERRED: {
        S.TRIAGED: HANDLERS,
        S.ANSWERED: frozenset({PROGRAMME, COORDINATOR, ADMIN}),  # the programme (or the hub) answers
        S.DECLINED: HANDLERS,
        S.CLOSED: CONCLUDE,
    },
    S.CLOSED: {},
    S.DECLINED: {},
    S.MERGED: {},
}

# Keyword extras each step accepts (anything else is refused, so a typo never passes silently).
EXTRA_FIELDS: dict[str, frozenset[str]] = {
    S.TRIAGED: frozenset({"broker"}),
    S.REFERRED: frozenset({"referred_to_hub", "referred_to_programme", "referred_to_network"}),
    S.MERGED: frozenset({"merged_into"}),
    S.CLOSED: frozenset({"usefulness", "comment"}),
}
NOTE_REQUIRED = frozenset({S.REFERRED, S.DECLINED})  # handover note; reason
RATABLE_FROM = frozenset({S.ANSWERED, S.REFERRED})  # an evaluation needs something to rate

# Still waiting for the hub (these can be overdue); `answered` waits for the asker.
OPEN_STATES: tuple[str, ...] = (S.SUBMITTED, S.TRIAGED, S.MATCHING, S.CONNECTED, S.REFERRED)
FINAL_STATES: tuple[str, ...] = tuple(s for s, steps in TRANSITIONS.items() if not steps)


def allowed_roles(from_state: str | None, to_state: str) -> frozenset[str] | None:
    """Who may make the step, or None when the table has no such step."""
    if from_state is None:
        return None
    return TRANSITIONS.get(from_state, {}).get(to_state)


def all_transitions() -> list[tuple[str, str, frozenset[str]]]:
    return [(src, dst, roles) for src, steps in TRANSITIONS.items() for dst, roles in steps.items()]
