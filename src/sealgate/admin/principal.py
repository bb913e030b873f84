"""Who is asking: an API token or a logged-in admin, with the roles they hold (pure).

Every admin request is checked as `principal.may(capability, org_id)`: a role held for that
organisation that carries the capability, or the operator role, which holds every capability
for every organisation. Listings across organisations ask `org_scope` which ones to show.
"""

from __future__ import annotations

from dataclasses import dataclass

from sealgate.admin.roles import Capability, Role, may


@dataclass(frozen=True)
class Grant:
    """A role for one organisation, or (org_id None) the operator role across all."""

    role: Role
    org_id: int | None


@dataclass(frozen=True)
class Principal:
    actor: str  # as the audit trail records it: "token:<id>" or "account:<address>"
    grants: tuple[Grant, ...]

    @property
    def is_operator(self) -> bool:
        return any(grant.role is Role.OPERATOR for grant in self.grants)

    def may(self, capability: Capability, org_id: int | None) -> bool:
        """Whether the principal may use `capability` on organisation `org_id`.

        `org_id` None asks about the gateway as a whole (creating an organisation): only
        the operator may.
        """
        if self.is_operator:
            return True
        return org_id is not None and any(
            grant.org_id == org_id and may(grant.role, capability) for grant in self.grants
        )

    def org_scope(self, capability: Capability) -> frozenset[int] | None:
        """The organisations the capability reaches; None means all (the operator)."""
        if self.is_operator:
            return None
        return frozenset(
            grant.org_id
            for grant in self.grants
            if grant.org_id is not None and may(grant.role, capability)
        )
