"""When two principals see exactly the same thing: the key a rendered event is shared by.

A live event is loaded and checked once per distinct key rather than once per socket.
Two principals with equal keys must pass the same row scopes (permissions.scopes) and
the same field rules (permissions.rules) for every object reachable from a case: keep
this in step with those modules. When in doubt, key by the whole principal (always safe).
"""

from __future__ import annotations

from collections.abc import Hashable

from permissions.principal import Principal, Role, Scope


def sharing_key(principal: Principal) -> Hashable:
    """Staff are keyed by themselves: `Case.viewerCan.receivesChatNotifications` reads
    their user id (their renders are still shared by portal and level when the operation
    selects no PERSONAL_FIELDS: render_scope_key); customers of one case share; API keys
    share by company and scopes; partner users are keyed by themselves (the
    external-case-handler rules depend on who they are)."""
    match principal.role:
        case Role.STAFF:
            return ("staff", principal.insurer_id, principal.authority_level, principal.user_id)
        case Role.CUSTOMER:
            return ("customer", principal.insurer_id, principal.case_id)
        case Role.INTEGRATION:
            return (
                "integration",
                principal.insurer_id,
                principal.company_id,
                principal.partner_integration,
                principal.scopes,
            )
        case _:
            return principal


# Fields whose answer depends on who asks beyond the sharing key's other parts: for staff,
# only `viewerCan` (it reads the user id). tests/subscriptions/test_shared_render.py fails
# when a new resolver or rule reads a user id, so the list is looked at again.
PERSONAL_FIELDS = frozenset({"viewerCan"})


def render_scope_key(principal: Principal) -> Hashable:
    """Coarser than sharing_key, for rendered live events: staff of one portal and level
    share renders of operations that select no PERSONAL_FIELDS (schema.shared_render keys
    the others by person). Everyone else shares by the sharing key."""
    if principal.role is Role.STAFF:
        return ("staff", principal.insurer_id, principal.authority_level)
    return sharing_key(principal)


def visibility_key(principal: Principal) -> Hashable:
    """Coarser than sharing_key, for two scopes only: principals with equal keys get the
    same `scopes.visible_cases` and `scopes.visible_feed`. Staff and the insurer's own API
    keys that read cases see the whole portal, whoever they are; everyone else goes by the
    sharing key. A test compares the two scopes' SQL across keys."""
    if principal.acts_as_insurer and principal.has_scope(Scope.CASES_READ):
        return ("portal", principal.insurer_id)
    return sharing_key(principal)


def identity_key(principal: Principal) -> Hashable:
    """The credential behind a principal: what must still be live for it to act."""
    if principal.role is Role.CUSTOMER:
        return ("grant", principal.grant_id)
    if principal.role is Role.INTEGRATION:
        return ("key", principal.api_key_id)
    return ("user", principal.user_id)
