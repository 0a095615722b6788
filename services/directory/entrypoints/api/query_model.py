"""A route's whole query string read into one pydantic model, in one validation.

FastAPI works each declared query parameter out on its own on every request (its annotation
inspected, its value fetched, validated and copied): on directory search, its parameters
cost more CPU than answering the search from memory (docs/performance.md). A hot route declares
its query as a model instead; `query_model` makes the dependency that reads it and the OpenAPI
parameters that document it, so clients see the same contract either way. Bad values are a
422 `invalid-request` problem naming `["query", <parameter>]`, as FastAPI's own would be.
"""

from __future__ import annotations

import typing
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def query_model(model: type[M]) -> tuple[Callable[[Request], Awaitable[M]], dict[str, Any]]:
    """(dependency, openapi_extra) for a route whose query parameters are `model`'s fields.

    A list field takes the parameter repeated (`?tag=a&tag=b`); any other field the last
    value given. Parameters the model does not name are ignored, as FastAPI ignores them.
    """
    repeated = frozenset(
        name for name, field in model.model_fields.items() if _is_list(field.annotation)
    )

    async def read(request: Request) -> M:
        params = request.query_params
        values = {
            name: params.getlist(name) if name in repeated else params[name]
            for name in params
            if name in model.model_fields
        }
        try:
            return model.model_validate(values)
        except ValidationError as exc:
            raise RequestValidationError(
                [
                    {**error, "loc": ("query", *error["loc"])}
                    for error in exc.errors(include_url=False, include_context=False)
                ]
            ) from exc

    return read, {"parameters": _parameters(model)}


def _is_list(annotation: Any) -> bool:
    if typing.get_origin(annotation) is list:
        return True
    return any(typing.get_origin(arg) is list for arg in typing.get_args(annotation))


def _parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema["properties"].items():
        prop = dict(prop)
        description = prop.pop("description", None)
        prop.pop("title", None)
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": prop,
        }
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters
