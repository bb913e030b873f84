"""The OpenAPI 3.1 document of /api/v1, made from the endpoint table and the models.

Served at GET /api/v1/openapi.json (no token needed) and committed as docs/openapi.json;
a test checks the two are equal. Regenerate the committed one with

    scripts/openapi          (PYTHON=/work/main/.venv/bin/python scripts/openapi in a worktree)
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from sealgate.admin.api import models
from sealgate.admin.api.endpoint import MAX_ID, Endpoint
from sealgate.admin.api.errors import DESCRIPTIONS, ERROR_CODES
from sealgate.admin.api.table import ENDPOINTS

TITLE = "sealgate admin API"
VERSION = "1"
# Every endpoint may answer these: bad query or path, no token, role, unknown id, refusal.
COMMON_ERRORS = (400, 401, 403, 404, 405, 422, 500)
BODY_ERRORS = (413, 415)
_PARAMETER = re.compile(r"{(\w+)}")
_EXPORT_MEDIA = ("application/x-ndjson", "text/csv")


def _all_models() -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {"ErrorBody": models.ErrorBody}
    for endpoint in ENDPOINTS:
        for model in (endpoint.response, endpoint.body):
            if model is not None:
                found[model.__name__] = model
    return list(found.values())


def _components() -> dict[str, Any]:
    _, schema = models_json_schema(
        [(model, "validation") for model in _all_models()],
        ref_template="#/components/schemas/{model}",
    )
    return dict(sorted(schema.get("$defs", {}).items()))


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter's schema without the `null` branch: absent is how it is left out."""
    branches = schema.get("anyOf")
    if branches:
        kept = [branch for branch in branches if branch.get("type") != "null"]
        if len(kept) == 1:
            rest = {key: value for key, value in schema.items() if key not in ("anyOf", "default")}
            return {**kept[0], **rest}
    return {key: value for key, value in schema.items() if key != "default" or value is not None}


def _parameters(endpoint: Endpoint) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = []
    for name in _PARAMETER.findall(endpoint.path):
        schema: dict[str, Any] = (
            {"type": "integer", "minimum": 1, "maximum": MAX_ID}
            if name == "org_id"
            else {"type": "string"}
        )
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    if endpoint.query is not None:
        properties = endpoint.query.model_json_schema()["properties"]
        for name, schema in properties.items():
            schema = _not_null(schema)
            description = schema.pop("description", None)
            schema.pop("title", None)
            parameter: dict[str, Any] = {"name": name, "in": "query", "schema": schema}
            if description:
                parameter["description"] = description
            parameters.append(parameter)
    return parameters


def _error(status: int) -> dict[str, Any]:
    codes = ", ".join(ERROR_CODES[status])
    return {
        "description": f"{DESCRIPTIONS[status]} (codes: {codes})",
        "content": {"application/json": {"schema": _ref(models.ErrorBody)}},
    }


def _success(endpoint: Endpoint) -> dict[str, Any]:
    if endpoint.media_type == "export":
        content = {media: {"schema": {"type": "string"}} for media in _EXPORT_MEDIA}
    elif endpoint.media_type != "application/json":
        content = {endpoint.media_type: {"schema": {"type": "string"}}}
    else:
        content = {"application/json": {"schema": _ref(endpoint.response)}}
    return {"description": endpoint.summary, "content": content}


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    statuses = set(COMMON_ERRORS) | set(endpoint.errors)
    if endpoint.body is not None:
        statuses |= set(BODY_ERRORS)
    responses: dict[str, Any] = {str(endpoint.status): _success(endpoint)}
    responses.update(
        {
            str(status): {"$ref": f"#/components/responses/Error{status}"}
            for status in sorted(statuses)
        }
    )
    operation: dict[str, Any] = {
        "operationId": endpoint.name,
        "summary": endpoint.summary,
        "description": f"Capability: `{endpoint.capability.value}`"
        + (" for the gateway (operator only)." if endpoint.gateway_wide else "."),
        "tags": [endpoint.path.split("/")[1]],
        "security": [{"bearer": []}],
        "parameters": _parameters(endpoint),
        "responses": responses,
    }
    if endpoint.body is not None:
        required = bool(endpoint.body.model_json_schema().get("required"))
        operation["requestBody"] = {
            "required": required,
            "content": {"application/json": {"schema": _ref(endpoint.body)}},
        }
    return operation


def openapi_document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in ENDPOINTS:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "description": "Every request carries `Authorization: Bearer sgt_…` (an API token,"
            ' `sealgate token create`). Errors are `{"error": {"code", "message"}}`;'
            ' listings are pages `{"items", "next_cursor"}`, continued with `?cursor=`.',
        },
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "schemas": _components(),
            "responses": {f"Error{status}": _error(status) for status in sorted(ERROR_CODES)},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def document_text() -> str:
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="print or write the OpenAPI document")
    parser.add_argument("--write", metavar="FILE", help="write it to FILE (docs/openapi.json)")
    args = parser.parse_args(argv)
    if args.write:
        Path(args.write).write_text(document_text(), encoding="utf-8")
    else:
        print(document_text(), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
