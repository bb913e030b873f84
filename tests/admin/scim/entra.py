"""Requests as Microsoft Entra ID's provisioning service sends them to a SCIM endpoint.

Taken from the shapes Microsoft documents for its SCIM client ("Develop a sample SCIM
endpoint", "Known issues and resolutions with SCIM 2.0 compliance"): the user is looked up
by a filter before it is created; PATCH ops are capitalised ("Replace", "Add"); `active`
goes as a boolean (or, before the 2020 fix, as the string "False"); changes of the work
email and of name parts go with their SCIM paths; the query string is form-encoded.
`{id}` stands for the id the create answered with.
"""

from __future__ import annotations

from typing import Any

USER = "Test_User_ab6490ee@hospital.example"
HEADERS = {
    "Content-Type": "application/scim+json; charset=utf-8",
    "Accept": "application/scim+json",
}
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

LOOK_UP = ("GET", "/Users?filter=userName+eq+%22Test_User_ab6490ee%40hospital.example%22", None)

CREATE = (
    "POST",
    "/Users",
    {
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        ],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": USER,
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": USER}],
        "meta": {"resourceType": "User"},
        "name": {
            "formatted": "givenName familyName",
            "familyName": "familyName",
            "givenName": "givenName",
        },
        "roles": [],
    },
)

UPDATE: tuple[str, str, Any] = (
    "PATCH",
    "/Users/{id}",
    {
        "schemas": [PATCH_SCHEMA],
        "Operations": [
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": USER},
            {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
            {"op": "Replace", "path": "name.givenName", "value": "updatedGivenName"},
            {"op": "Add", "path": "externalId", "value": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"},
        ],
    },
)

DISPLAY_NAME = (
    "PATCH",
    "/Users/{id}",
    {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "Replace", "path": "displayName", "value": "Updated Display"}],
    },
)

DISABLE = (
    "PATCH",
    "/Users/{id}",
    {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "Replace", "path": "active", "value": False}],
    },
)

# The pre-2020 form Entra still sends to apps without the compliance flag.
ENABLE_AS_STRING = (
    "PATCH",
    "/Users/{id}",
    {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "Replace", "path": "active", "value": "True"}],
    },
)

GET = ("GET", "/Users/{id}", None)
DELETE = ("DELETE", "/Users/{id}", None)
