"""One endpoint's trusted documents: how a client names one, and how it is answered.

Clients send a trusted document the way GraphQL clients do: GraphQL-over-HTTP's
``{"documentId": "sha256:<hex>", "variables": …}`` or Apollo / urql persisted queries,
``{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}}}`` (GET or POST).
A compiled document is answered by its SQL statement; the others, and anything the compiled
path leaves to it, by the executor with the committed text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError, validate
from strawberry.http import GraphQLRequestData

from auth.policy import Audience
from schema.compiled.runner import CompiledOperation, compile_document
from schema.compiled.tables import TABLES
from schema.trusted import TrustedDocument, document_key, trusted_documents

__all__ = [
    "MISMATCH",
    "NOT_FOUND",
    "REQUIRED",
    "TrustedOperations",
    "TrustedRequestData",
    "request_error",
]

NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
MISMATCH = "PERSISTED_QUERY_MISMATCH"
REQUIRED = "TRUSTED_DOCUMENT_REQUIRED"


@dataclass
class TrustedRequestData(GraphQLRequestData):
    """A request that named a trusted document (``operation`` ``None``: with ``error``)."""

    operation: CompiledOperation | None = None
    error: GraphQLError | None = None


def request_error(code: str, message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def _named_id(data: dict[str, Any]) -> tuple[bool, str | None]:
    """Did the request name a document by id, and which (``None``: not one of ours)?"""
    if "documentId" in data:
        return True, document_key(data["documentId"])
    extensions = data.get("extensions")
    persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    if isinstance(persisted, dict):
        return True, document_key(persisted.get("sha256Hash"))
    return False, None


class TrustedOperations:
    """The trusted documents one audience's schema accepts, planned once at start-up."""

    def __init__(self, schema: Any, audience: Audience) -> None:
        self.audience = audience
        gql_schema = schema._schema
        definitions = {
            name: definition
            for name in TABLES
            if (definition := schema.get_type_by_name(name)) is not None
        }
        self.operations: dict[str, CompiledOperation] = {}
        for document in trusted_documents():
            if audience not in document.audiences:
                continue
            errors = validate(gql_schema, document.document)
            if errors:
                raise ValueError(
                    f"trusted document {document.name} is not valid for {audience}: {errors[0]}"
                )
            self.operations[document.id] = compile_document(document, gql_schema, definitions)

    def documents(self) -> list[TrustedDocument]:
        return [operation.document for operation in self.operations.values()]

    def resolve(self, data: dict[str, Any], protocol: Any) -> TrustedRequestData | None:
        """The trusted request ``data`` names, or ``None`` for an ad hoc document."""
        named, key = _named_id(data)
        if not named:
            return None
        query = data.get("query")
        variables = data.get("variables")
        request = TrustedRequestData(
            query=None,
            variables=variables if isinstance(variables, dict) else None,
            operation_name=data.get("operationName"),
            extensions=data.get("extensions") if isinstance(data.get("extensions"), dict) else None,
            protocol=protocol,
        )
        operation = self.operations.get(key) if key is not None else None
        if operation is None:
            request.error = request_error(
                NOT_FOUND, "No trusted document with this id for this endpoint."
            )
            return request
        text = query if isinstance(query, str) else ""
        if text and hashlib.sha256(text.encode("utf-8")).hexdigest() != operation.document.id:
            request.error = request_error(
                MISMATCH, "The query text is not the trusted document this id names."
            )
            return request
        request.query = operation.document.text
        request.operation_name = operation.document.name
        request.operation = operation
        return request
