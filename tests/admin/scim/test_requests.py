"""SCIM requests as identity providers send them: filters, Users, PatchOps (Entra, Okta)."""

import pytest

from sealgate.admin.scim.requests import (
    ScimError,
    UserChange,
    parse_filter,
    parse_patch,
    parse_user,
)


@pytest.mark.parametrize(
    "text, address",
    [
        ('userName eq "alice@hospital.example"', "alice@hospital.example"),
        ('USERNAME EQ "Alice@Hospital.example"', "Alice@Hospital.example"),
        (
            'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a\\"b@x.example"',
            'a"b@x.example',
        ),
    ],
)
def test_the_username_filter_is_read(text, address):
    assert parse_filter(text) == address


@pytest.mark.parametrize(
    "text",
    [
        'displayName eq "Alice"',
        'userName sw "a"',
        "userName eq alice",
        'userName eq "a" or id eq "1"',
    ],
)
def test_other_filters_are_invalid_filter(text):
    with pytest.raises(ScimError) as caught:
        parse_filter(text)
    assert (caught.value.status, caught.value.scim_type) == (400, "invalidFilter")


def test_an_entra_create_body_keeps_address_name_and_active():
    body = {
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        ],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": "bob@hospital.example",
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": "bob@hospital.example"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Bob Bakker", "familyName": "Bakker", "givenName": "Bob"},
        "roles": [],
    }
    fields = parse_user(body)
    assert (fields.user_name, fields.display_name, fields.active) == (
        "bob@hospital.example",
        "Bob Bakker",
        True,
    )
    body["displayName"] = "B. Bakker"
    assert parse_user(body).display_name == "B. Bakker"
    del body["name"]["formatted"], body["displayName"]
    assert parse_user(body).display_name == "Bob Bakker"


@pytest.mark.parametrize("value, active", [(False, False), ("False", False), ("true", True)])
def test_entra_replace_active_with_booleans_or_strings(value, active):
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "active", "value": value}],
    }
    assert parse_patch(body) == UserChange(active=active)


def test_entra_attribute_changes_and_okta_pathless_replace():
    entra = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "x@y.example"},
            {"op": "Replace", "path": "name.givenName", "value": "Robert"},
            {"op": "Replace", "path": "name.familyName", "value": "Bakker"},
            {"op": "Add", "path": "externalId", "value": "1234"},
        ],
    }
    assert parse_patch(entra) == UserChange(display_name="Robert Bakker")
    entra["Operations"].append({"op": "Replace", "path": "displayName", "value": "Rob"})
    assert parse_patch(entra) == UserChange(display_name="Rob")
    okta = {"Operations": [{"op": "replace", "value": {"active": False, "displayName": "B"}}]}
    assert parse_patch(okta) == UserChange(display_name="B", active=False)


@pytest.mark.parametrize(
    "body, scim_type",
    [
        ({"Operations": [{"op": "Move", "path": "active", "value": False}]}, "invalidSyntax"),
        ({"Operations": [{"op": "Replace", "path": "password", "value": "x"}]}, "invalidPath"),
        ({"Operations": [{"op": "Replace", "path": "active", "value": "no"}]}, "invalidValue"),
        ({"Operations": [{"op": "Remove", "path": "active"}]}, "mutability"),
        ({"Operations": [{"op": "Replace", "value": False}]}, "noTarget"),
        ({"operations": []}, "invalidSyntax"),
        ([], "invalidSyntax"),
    ],
)
def test_bad_patches_are_refused_with_their_scim_type(body, scim_type):
    with pytest.raises(ScimError) as caught:
        parse_patch(body)
    assert (caught.value.status, caught.value.scim_type) == (400, scim_type)


def test_a_user_needs_a_username():
    with pytest.raises(ScimError, match="userName is required"):
        parse_user({"displayName": "x"})
