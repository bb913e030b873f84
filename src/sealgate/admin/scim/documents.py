"""The JSON documents SCIM speaks: a User, a ListResponse, an Error, and the discovery
resources (ServiceProviderConfig, ResourceTypes, Schemas) of RFC 7643 §5–7 (pure).

A sealgate account is a SCIM User: `id` is the account's id, `userName` and the one work
email are its address, `displayName` (and `name.formatted`) its display name, `active`
whether it may log in and send. Nothing else is kept, so nothing else is returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
CONFIG_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
MEDIA_TYPE = "application/scim+json"
MAX_COUNT = 200  # the most Users one page holds (ServiceProviderConfig filter.maxResults)


@dataclass(frozen=True)
class ScimUser:
    """An account as SCIM shows it."""

    id: int
    email: str
    display_name: str
    active: bool
    created_at: datetime


def _time(value: datetime) -> str:
    return value.replace(microsecond=0).isoformat() + "Z"


def user_document(user: ScimUser, base_url: str) -> dict[str, Any]:
    return {
        "schemas": [USER_SCHEMA],
        "id": str(user.id),
        "userName": user.email,
        "displayName": user.display_name,
        "name": {"formatted": user.display_name},
        "emails": [{"value": user.email, "type": "work", "primary": True}],
        "active": user.active,
        "meta": {
            "resourceType": "User",
            "created": _time(user.created_at),
            "location": f"{base_url}/Users/{user.id}",
        },
    }


def list_document(resources: list[dict[str, Any]], total: int, start_index: int) -> dict[str, Any]:
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


def error_document(status: int, detail: str, scim_type: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(status), "detail": detail}
    if scim_type is not None:
        body["scimType"] = scim_type
    return body


def service_provider_config(base_url: str) -> dict[str, Any]:
    return {
        "schemas": [CONFIG_SCHEMA],
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_COUNT},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "API token",
                "description": "A sealgate API token (sealgate token create) as a Bearer token",
                "primary": True,
            }
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": f"{base_url}/ServiceProviderConfig",
        },
    }


def resource_types(base_url: str) -> list[dict[str, Any]]:
    return [
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "A sealgate account: a person who sends and reads secure mail",
            "schema": USER_SCHEMA,
            "meta": {"resourceType": "ResourceType", "location": f"{base_url}/ResourceTypes/User"},
        }
    ]


def _attribute(name: str, kind: str = "string", **facets: Any) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "name": name,
        "type": kind,
        "multiValued": False,
        "required": False,
        "caseExact": False,
        "mutability": "readWrite",
        "returned": "default",
        "uniqueness": "none",
    }
    attribute.update(facets)
    return attribute


def user_schema(base_url: str) -> dict[str, Any]:
    """The User attributes sealgate keeps (RFC 7643 §8.7.1, cut to those)."""
    name = _attribute(
        "name",
        "complex",
        subAttributes=[
            _attribute("formatted"),
            _attribute("givenName", mutability="writeOnly", returned="never"),
            _attribute("familyName", mutability="writeOnly", returned="never"),
        ],
    )
    emails = _attribute(
        "emails",
        "complex",
        multiValued=True,
        mutability="readOnly",
        subAttributes=[_attribute("value"), _attribute("type"), _attribute("primary", "boolean")],
    )
    return {
        "schemas": [SCHEMA_SCHEMA],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A sealgate account; userName is its email address",
        "attributes": [
            _attribute("userName", required=True, mutability="immutable", uniqueness="server"),
            name,
            _attribute("displayName"),
            emails,
            _attribute("active", "boolean"),
        ],
        "meta": {"resourceType": "Schema", "location": f"{base_url}/Schemas/{USER_SCHEMA}"},
    }
