"""Who may do what: the roles of the admin API and console, and what each may do (pure).

A table, not code paths: every endpoint names one `Capability`, and `ALLOWED` says which
roles hold it. The organisation roles act inside their own organisation only; `operator`
runs the gateway and acts across all of them (creating organisations, for one).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ORG_ADMIN = "org-admin"
    POLICY_ADMIN = "policy-admin"
    AUDITOR = "auditor"  # read-only: the audit trail, evidence, messages' metadata
    HELPDESK = "helpdesk"  # unlock a recipient, resend a notification, look a message up
    OPERATOR = "operator"  # across organisations


class Capability(StrEnum):
    ORGS_READ = "orgs.read"
    ORGS_CREATE = "orgs.create"
    DOMAINS_WRITE = "domains.write"
    ACCOUNTS_READ = "accounts.read"
    ACCOUNTS_WRITE = "accounts.write"
    CREDENTIALS_READ = "credentials.read"
    CREDENTIALS_WRITE = "credentials.write"
    POLICY_READ = "policy.read"
    POLICY_WRITE = "policy.write"  # the policy, NTA 7516, IDD, DKIM keys
    CONTACTS_READ = "contacts.read"
    CONTACTS_WRITE = "contacts.write"
    MESSAGES_READ = "messages.read"  # metadata and decision traces, never content
    MESSAGES_REVOKE = "messages.revoke"
    EVIDENCE_READ = "evidence.read"
    QUEUE_READ = "queue.read"
    QUEUE_WRITE = "queue.write"  # retry (resend) and cancel
    RECIPIENTS_UNLOCK = "recipients.unlock"
    RECIPIENTS_RESEND = "recipients.resend"  # a new notification for one recipient
    PROBES_READ = "probes.read"
    PROBES_RUN = "probes.run"
    AUDIT_READ = "audit.read"  # query, export, verify
    TOKENS_WRITE = "tokens.write"
    ROLES_WRITE = "roles.write"


_ORG_ADMIN = frozenset(Capability) - {Capability.ORGS_CREATE}
_READ = frozenset(
    {
        Capability.ORGS_READ,
        Capability.POLICY_READ,
        Capability.MESSAGES_READ,
        Capability.QUEUE_READ,
    }
)

ALLOWED: dict[Role, frozenset[Capability]] = {
    Role.OPERATOR: frozenset(Capability),
    Role.ORG_ADMIN: _ORG_ADMIN,
    Role.POLICY_ADMIN: _READ
    | {
        Capability.POLICY_WRITE,
        Capability.CONTACTS_READ,
        Capability.CONTACTS_WRITE,
        Capability.PROBES_READ,
        Capability.PROBES_RUN,
    },
    Role.AUDITOR: _READ
    | {
        Capability.ACCOUNTS_READ,
        Capability.CREDENTIALS_READ,
        Capability.CONTACTS_READ,
        Capability.EVIDENCE_READ,
        Capability.PROBES_READ,
        Capability.AUDIT_READ,
    },
    Role.HELPDESK: _READ
    | {
        Capability.ACCOUNTS_READ,
        Capability.CONTACTS_READ,
        Capability.QUEUE_WRITE,
        Capability.RECIPIENTS_UNLOCK,
        Capability.RECIPIENTS_RESEND,
    },
}


def role_named(name: str) -> Role:
    """The role called `name`; ValueError naming the roles there are otherwise."""
    try:
        return Role(name)
    except ValueError:
        known = ", ".join(role.value for role in Role)
        raise ValueError(f"unknown role {name!r} (roles: {known})") from None


def may(role: Role, capability: Capability) -> bool:
    return capability in ALLOWED[role]
