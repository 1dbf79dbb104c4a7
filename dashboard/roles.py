"""Who may change what: a *viewer* reads every page, an *operator* also uploads, sends, retries, deletes and
replays. Every action asks `permit` first (so a viewer's forged click or call is refused and recorded, not
only hidden) and, once done, `record`s what it touched in the audit trail (core/ops/audit.py).

The role comes from the login: Cognito puts the groups a user is in into the ID token's `cognito:groups`
claim, which Streamlit copies into st.user; another provider's users are operators when OPERATOR_EMAILS
names their (verified) address. With login off (`make run`), everyone is an operator.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import streamlit as st

from core.errors import StoreError
from core.ops import audit
from core.ops.audit import Action, Outcome
from dashboard.auth import LoginState, login_state
from dashboard.resources import aws_clients

OPERATORS_GROUP = "operators"  # the user pool's group (infra/template.yaml, OperatorsGroup)
GROUPS_CLAIM = "cognito:groups"
LOGIN_OFF = "anyone (login off)"  # who acts on a dashboard without login, as the audit trail names them


class Role(StrEnum):
    VIEWER = "viewer"
    OPERATOR = "operator"


@dataclass(frozen=True)
class Visitor:
    who: str
    role: Role

    @property
    def operates(self) -> bool:
        return self.role is Role.OPERATOR


def role_of(user: Mapping[str, Any], operator_emails: frozenset[str]) -> Role:
    """A logged-in user's role, from their ID token's claims."""
    groups = user.get(GROUPS_CLAIM) or []
    if OPERATORS_GROUP in ([groups] if isinstance(groups, str) else list(groups)):
        return Role.OPERATOR
    email = str(user.get("email") or "").strip().lower()
    # A provider that lets users set an address it has not checked says so; such an address proves nothing.
    if email and email in operator_emails and user.get("email_verified", True) not in (False, "false"):
        return Role.OPERATOR
    return Role.VIEWER


def visitor() -> Visitor:
    """The person this session serves. Asked at each action, not cached: the login is the truth."""
    settings = aws_clients().settings
    if login_state(settings.require_login) is LoginState.OFF:
        return Visitor(LOGIN_OFF, Role.OPERATOR)
    user = st.user.to_dict()
    if not user.get("is_logged_in", False):  # the page stops before this; an action must not rely on it
        return Visitor("nobody (not logged in)", Role.VIEWER)
    who = str(user.get("email") or user.get("name") or user.get("sub") or "unknown")
    return Visitor(who, role_of(user, settings.operator_emails))


def permit(action: Action, event_ids: Sequence[str] = ()) -> bool:
    """Whether this session may do `action`. A viewer is refused: the refusal is recorded in the audit trail
    and shown. Call it first in whatever does the action, even behind a hidden button."""
    person = visitor()
    if person.operates:
        return True
    _write(audit.Entry(person.who, action, Outcome.REFUSED, tuple(event_ids), role=person.role.value,
                       detail=f"refused: {person.role.value}s may not {action.value}"))
    st.error(f"Not done: you are a {person.role.value}, and only operators may {action.value}. Ask an "
             "administrator to add you to the operators.", icon=":material/block:")
    return False


def upload_refused() -> None:
    """The Upload page as a viewer's deep link finds it: refused, and recorded."""
    _refused_page("Upload", Action.UPLOAD)


def send_refused() -> None:
    """The Send page as a viewer's deep link finds it: refused, and recorded."""
    _refused_page("Send test event", Action.SEND)


def _refused_page(title: str, action: Action) -> None:
    st.title(title)
    permit(action)


def record(action: Action, event_ids: Sequence[str] = (), detail: str = "", failed: bool = False,
           event_count: int = -1) -> None:
    """Record an action this session did (or tried: `failed`) in the audit trail, with the events it
    touched (`event_count` when it touched more than it lists)."""
    person = visitor()
    _write(audit.Entry(person.who, action, Outcome.FAILED if failed else Outcome.DONE, tuple(event_ids),
                       detail=detail, role=person.role.value, event_count=event_count))


def _write(entry: audit.Entry) -> None:
    try:
        audit.record(aws_clients(), entry)
    except StoreError as exc:  # the action stands; say that its record is missing, and why
        st.warning(f"The audit trail could not record this {entry.action.value} ({exc}).",
                   icon=":material/warning:")
