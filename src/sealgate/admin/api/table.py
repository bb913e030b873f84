"""Every endpoint of /api/v1: method, path, capability, models, handler. One flat table.

The routes and the OpenAPI document are both made from ENDPOINTS; the role × endpoint test
walks it too, so an endpoint added here is served, documented and tested at once.
"""

from __future__ import annotations

from sealgate.admin.api import accounts, audit, contacts, messages, orgs, policy, probes, queue
from sealgate.admin.api import models as m
from sealgate.admin.api.endpoint import Endpoint
from sealgate.admin.roles import Capability as C

ORG = "/orgs/{org_id}"

# fmt: off
ENDPOINTS: tuple[Endpoint, ...] = (
    # Organisations and domains.
    Endpoint("GET", "/orgs", "orgs.list", C.ORGS_READ, orgs.list_organisations,
             "List the organisations the token reaches", m.OrgPage, query=m.PageQuery),
    Endpoint("POST", "/orgs", "orgs.create", C.ORGS_CREATE, orgs.create_organisation,
             "Create an organisation (operator)", m.Org, body=m.OrgCreate, status=201,
             errors=(409,), gateway_wide=True),
    Endpoint("GET", ORG, "orgs.show", C.ORGS_READ, orgs.show_organisation,
             "Show an organisation", m.Org),
    Endpoint("GET", ORG + "/domains", "domains.list", C.ORGS_READ, orgs.list_domains,
             "List the organisation's claimed domains", m.DomainPage, query=m.PageQuery),
    Endpoint("POST", ORG + "/domains", "domains.claim", C.DOMAINS_WRITE, orgs.claim_domain,
             "Start a domain claim: the TXT record to publish", m.DomainChallenge,
             body=m.DomainClaim, status=201, errors=(409,)),
    Endpoint("POST", ORG + "/domains/{domain}/verify", "domains.verify", C.DOMAINS_WRITE,
             orgs.verify_domain, "Verify a domain claim by its TXT record", m.DomainVerified,
             errors=(409, 502)),
    Endpoint("PATCH", ORG + "/domains/{domain}", "domains.update", C.POLICY_WRITE,
             orgs.update_domain, "Switch Inbound Direct Delivery (IDD) for a domain",
             m.DomainItem, body=m.DomainUpdate),
    # Accounts and SMTP credentials.
    Endpoint("GET", ORG + "/accounts", "accounts.list", C.ACCOUNTS_READ,
             accounts.list_org_accounts, "List accounts", m.AccountPage, query=m.PageQuery),
    Endpoint("POST", ORG + "/accounts", "accounts.create", C.ACCOUNTS_WRITE,
             accounts.create_account, "Add an account (invited by mail without a password)",
             m.AccountCreated, body=m.AccountCreate, status=201, errors=(409,)),
    Endpoint("POST", ORG + "/accounts/{email}/disable", "accounts.disable", C.ACCOUNTS_WRITE,
             accounts.disable_org_account, "Disable an account", m.AccountState),
    Endpoint("POST", ORG + "/accounts/{email}/enable", "accounts.enable", C.ACCOUNTS_WRITE,
             accounts.enable_org_account, "Enable a disabled account", m.AccountState),
    Endpoint("GET", ORG + "/credentials", "credentials.list", C.CREDENTIALS_READ,
             accounts.list_org_credentials, "List SMTP credentials (never their secrets)",
             m.CredentialPage, query=m.PageQuery),
    Endpoint("POST", ORG + "/credentials", "credentials.create", C.CREDENTIALS_WRITE,
             accounts.create_org_credential, "Generate an SMTP credential (secret shown once)",
             m.CredentialCreated, body=m.CredentialCreate, status=201),
    Endpoint("POST", ORG + "/credentials/{username}/disable", "credentials.disable",
             C.CREDENTIALS_WRITE, accounts.disable_org_credential, "Disable an SMTP credential",
             m.Credential),
    # The Email Security Policy, NTA 7516, DKIM and DNS.
    Endpoint("GET", ORG + "/policy", "policy.show", C.POLICY_READ, policy.show_policy,
             "Show the Email Security Policy", m.Policy),
    Endpoint("PATCH", ORG + "/policy", "policy.update", C.POLICY_WRITE, policy.update_policy,
             "Change Email Security Policy settings", m.Policy, body=m.PolicyUpdate),
    Endpoint("GET", "/nta7516", "nta7516.list", C.POLICY_READ, policy.list_nta7516,
             "List recipient domains known to be NTA 7516 compliant", m.NtaPage,
             query=m.PageQuery),
    Endpoint("POST", "/nta7516", "nta7516.add", C.POLICY_WRITE, policy.add_nta7516,
             "List a compliant domain (operator)", m.NtaChange, body=m.NtaAdd, status=201,
             gateway_wide=True),
    Endpoint("DELETE", "/nta7516/{domain}", "nta7516.remove", C.POLICY_WRITE,
             policy.remove_nta7516, "Unlist a domain (operator)", m.NtaChange,
             gateway_wide=True),
    Endpoint("GET", ORG + "/dkim-keys", "dkim.list", C.POLICY_READ, policy.dkim_keys,
             "List the DKIM keys of the organisation's domains", m.DkimKeys),
    Endpoint("GET", ORG + "/dns-records", "dns.records", C.POLICY_READ, policy.dns_records,
             "The DKIM, SPF and DMARC records to publish", m.DnsRecords),
    Endpoint("GET", ORG + "/dns-check", "dns.check", C.POLICY_READ, policy.dns_check,
             "Look the records up in DNS", m.DnsChecks),
    # Contacts.
    Endpoint("GET", ORG + "/contacts", "contacts.list", C.CONTACTS_READ,
             contacts.list_org_contacts, "List a contact book", m.ContactPage,
             query=m.ContactQuery),
    Endpoint("POST", ORG + "/contacts", "contacts.add", C.CONTACTS_WRITE,
             contacts.add_org_contact, "Add or replace a contact entry", m.Contact,
             body=m.ContactCreate, status=201),
    Endpoint("DELETE", ORG + "/contacts/{address}", "contacts.remove", C.CONTACTS_WRITE,
             contacts.remove_org_contact, "Remove a recipient's entries from a book",
             m.ContactsRemoved, query=m.ContactDeleteQuery),
    # Messages and evidence.
    Endpoint("GET", "/messages", "messages.search", C.MESSAGES_READ, messages.search_messages,
             "Search messages by sender, recipient, time and state", m.MessagePage,
             query=m.MessageQuery),
    Endpoint("GET", "/messages/{message_id}", "messages.show", C.MESSAGES_READ,
             messages.show_message, "A message's recipients, status and decision trace",
             m.MessageDetail),
    Endpoint("POST", "/messages/{message_id}/revoke", "messages.revoke", C.MESSAGES_REVOKE,
             messages.revoke_message, "Withdraw a message's links", m.LinkChange,
             body=m.RevokeBody),
    Endpoint("POST", "/messages/{message_id}/unrevoke", "messages.unrevoke",
             C.MESSAGES_REVOKE, messages.unrevoke_message, "Reopen a message's links",
             m.LinkChange, body=m.UnrevokeBody),
    Endpoint("POST", "/messages/{message_id}/expire", "messages.expire", C.MESSAGES_REVOKE,
             messages.expire_message, "Set when a message's links expire", m.LinkChange,
             body=m.ExpireBody),
    Endpoint("GET", "/messages/{message_id}/evidence", "messages.evidence", C.EVIDENCE_READ,
             messages.message_evidence, "A message's evidence events (hash-chained)",
             m.Evidence),
    Endpoint("GET", "/messages/{message_id}/evidence/verify", "messages.evidence_verify",
             C.EVIDENCE_READ, messages.verify_evidence, "Check a message's evidence chain",
             m.EvidenceVerification),
    # The queue and probes.
    Endpoint("GET", "/queue", "queue.list", C.QUEUE_READ, queue.list_queue,
             "List outbound jobs (default: those still queued)", m.JobPage, query=m.JobQuery),
    Endpoint("POST", "/queue/{job_id}/retry", "queue.retry", C.QUEUE_WRITE, queue.retry_queued,
             "Make a waiting job due now", m.Job, errors=(409,)),
    Endpoint("POST", "/queue/{job_id}/cancel", "queue.cancel", C.QUEUE_WRITE,
             queue.cancel_queued, "Give a waiting job up (a DSN to its sender)",
             m.JobCancelled, errors=(409,)),
    Endpoint("POST", "/probes", "probes.run", C.PROBES_RUN, probes.run_probe,
             "Probe a recipient domain's mail servers now", m.ProbeResult, body=m.ProbeRun),
    Endpoint("GET", "/probes", "probes.list", C.PROBES_READ, probes.list_probes,
             "List cached probes", m.ProbePage, query=m.PageQuery),
    # The audit trail.
    Endpoint("GET", "/audit", "audit.query", C.AUDIT_READ, audit.query_audit,
             "Query the audit trail, oldest first", m.AuditPage, query=m.AuditQuery),
    Endpoint("GET", "/audit/export", "audit.export", C.AUDIT_READ, audit.export_audit,
             "Export the audit trail as JSON lines or CSV", m.AuditExport,
             query=m.AuditExportQuery, media_type="export"),
    Endpoint("GET", "/audit/verify", "audit.verify", C.AUDIT_READ, audit.verify_audit,
             "Check the audit trail's hash chain", m.AuditVerification),
)
# fmt: on
