"""What a SCIM request asks for, read from its JSON: a filter, a User, a PatchOp (pure).

Written against the shapes identity providers send, Entra ID's above all: `"op": "Replace"`
capitalised, `active` as `false` or as the string `"False"`, paths such as
`emails[type eq "work"].value`, `name.givenName` and `externalId`, and Okta's path-less
`{"op": "replace", "value": {"active": false}}`. What sealgate keeps of a User is its
address, a display name and whether it is active; attributes it does not keep (externalId,
emails, name parts once a display name is known, roles, the enterprise extension) are
accepted and not stored, so a provisioning run does not fail on them. `name.givenName` and
`name.familyName` make the display name only when a PATCH carries both and no displayName
(Entra sends displayName with them). A change of userName is refused: an account's address
is what it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# RFC 7644 §3.4.2.2, cut to what identity providers send to find a user before creating it.
_FILTER = re.compile(
    r'^\s*(?P<attr>[A-Za-z.:0-9]+)\s+(?P<op>eq)\s+"(?P<value>(?:[^"\\]|\\.)*)"\s*$', re.I
)


class ScimError(Exception):
    """A request SCIM refuses: an HTTP status, a `scimType` (RFC 7644 §3.12) and a sentence."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type


@dataclass(frozen=True)
class UserFields:
    """A User from a POST or PUT body: what sealgate keeps of it."""

    user_name: str
    display_name: str
    active: bool | None  # None: not given (a POST makes the account active, a PUT keeps it)


@dataclass(frozen=True)
class UserChange:
    """What a PATCH changes; None leaves an attribute as it is."""

    display_name: str | None = None
    active: bool | None = None
    user_name: str | None = None

    @property
    def attributes(self) -> list[str]:
        names = {
            "displayName": self.display_name,
            "active": self.active,
            "userName": self.user_name,
        }
        return [name for name, value in names.items() if value is not None]


def parse_filter(text: str) -> str:
    """The address of `userName eq "…"`; any other filter is `invalidFilter`."""
    match = _FILTER.match(text)
    if match is None or match["attr"].lower() not in ("username", f"{_USER}:username"):
        raise ScimError(400, 'the only filter supported is userName eq "address"', "invalidFilter")
    return re.sub(r"\\(.)", r"\1", match["value"])


_USER = "urn:ietf:params:scim:schemas:core:2.0:user"


def _boolean(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    # Entra ID sent booleans as strings before 2020 and still may ("False").
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ScimError(400, f"{name} must be true or false", "invalidValue")


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise ScimError(400, f"{name} must be a string", "invalidValue")
    return value.strip()


def _name_parts(name: Any) -> str:
    """A display name from a `name` value: formatted, else given and family names joined."""
    if not isinstance(name, dict):
        return ""
    formatted = name.get("formatted")
    if isinstance(formatted, str) and formatted.strip():
        return formatted.strip()
    parts = (name.get("givenName"), name.get("familyName"))
    return " ".join(part.strip() for part in parts if isinstance(part, str) and part.strip())


def parse_user(body: Any) -> UserFields:
    """The User of a POST or PUT; `userName` is required and is the account's address."""
    if not isinstance(body, dict):
        raise ScimError(400, "the body must be a SCIM User object", "invalidSyntax")
    user_name = body.get("userName")
    if not isinstance(user_name, str) or not user_name.strip():
        raise ScimError(400, "userName is required", "invalidValue")
    display = body.get("displayName")
    display_name = _text(display, "displayName") if display is not None else ""
    active = _boolean(body["active"], "active") if body.get("active") is not None else None
    return UserFields(user_name.strip(), display_name or _name_parts(body.get("name")), active)


def _operations(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict) or not isinstance(body.get("Operations"), list):
        raise ScimError(400, "the body must be a PatchOp with Operations", "invalidSyntax")
    operations: list[dict[str, Any]] = []
    for operation in body["Operations"]:
        if not isinstance(operation, dict):
            raise ScimError(400, "each operation must be an object", "invalidSyntax")
        operations.append(operation)
    return operations


def _path_values(operation: dict[str, Any]) -> list[tuple[str, Any]]:
    """(path, value) pairs of one operation; a path-less one carries an object of them."""
    path, value = operation.get("path"), operation.get("value")
    if path is None:
        if not isinstance(value, dict):
            raise ScimError(400, "an operation without a path needs an object value", "noTarget")
        return list(value.items())
    if not isinstance(path, str):
        raise ScimError(400, "path must be a string", "invalidPath")
    return [(path, value)]


def parse_patch(body: Any) -> UserChange:
    """The change a PatchOp makes to a User; later operations win over earlier ones."""
    display: str | None = None
    active: bool | None = None
    user_name: str | None = None
    given = family = None
    for operation in _operations(body):
        op = str(operation.get("op", "")).lower()
        if op not in ("add", "replace", "remove"):
            raise ScimError(400, f"unknown op {operation.get('op')!r}", "invalidSyntax")
        for path, value in _path_values(operation):
            key = path.lower().removeprefix(f"{_USER}:")
            if op == "remove":
                if key in ("displayname", "name.formatted"):
                    display = ""
                elif not _kept_elsewhere(key):
                    raise ScimError(400, f"{path} cannot be removed", "mutability")
                continue
            if key == "active":
                active = _boolean(value, "active")
            elif key in ("displayname", "name.formatted"):
                display = _text(value, path)
            elif key == "name":
                display = _name_parts(value) or display
            elif key == "name.givenname":
                given = _text(value, path)
            elif key == "name.familyname":
                family = _text(value, path)
            elif key == "username":
                user_name = _text(value, path)
            elif not _kept_elsewhere(key):
                raise ScimError(400, f"no attribute {path!r} on a sealgate User", "invalidPath")
    if display is None and given is not None and family is not None:
        display = f"{given} {family}".strip()
    return UserChange(display, active, user_name)


def _kept_elsewhere(key: str) -> bool:
    """Attributes accepted and not stored (see the module's docstring)."""
    return key in (
        "externalid",
        "roles",
        "title",
        "preferredlanguage",
        "locale",
        "nickname",
    ) or key.startswith(
        ("emails", "phonenumbers", "addresses", "urn:ietf:params:scim:schemas:extension:")
    )
