"""Labels of the enumerations, in the reader's language: front ends never hard-code one.

``labels(language:)`` answers, for every enumeration the API exposes, each value with its
label (``{ pointCategory { value label } }``): typed by the enum itself, so a client's code
generator knows ``value`` is a ``PointCategory``. The language is the argument, else the
request's ``Accept-Language``, else English. The words are the ``enums`` catalogs
(models/i18n), the same the printed log uses. No personal data: it is the same for everyone,
so the staff and family endpoints have it, signed in or not (the reporting schema names no
log, and has no use for the labels of one).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import strawberry
from strawberry.types import Info

import schema.enums  # registers the enumerations with Strawberry first
import schema.notifications  # and Delivery, as NotificationDelivery
from models.i18n import Language
from models.i18n.enums import ENGLISH, enum_label
from models.notification import Delivery
from schema.node import VALUE_TYPE

__all__ = ["LABELLED", "LABEL_TYPES", "Labels", "labels_in"]

# The class of every labelled enumeration (the tables are keyed by name: models.i18n.enums).
_CLASSES: dict[str, type[StrEnum]] = {
    name: getattr(schema.enums, name) for name in schema.enums.__all__
} | {Delivery.__name__: Delivery}
LABELLED: tuple[type[StrEnum], ...] = tuple(_CLASSES[name] for name in ENGLISH)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))


def _graphql_name(enum: type[StrEnum]) -> str:
    """The enumeration's name in the schema (``Delivery`` is ``NotificationDelivery``)."""
    return str(enum.__strawberry_definition__.name)  # type: ignore[attr-defined]


def _label_type(enum: type[StrEnum]) -> type:
    name = _graphql_name(enum)
    cls = type(f"{name}Label", (), {"__annotations__": {"value": enum, "label": str}})
    description = f"A value of {name} and its label in the asked language." + VALUE_TYPE
    return strawberry.type(cls, description=description)


LABEL_TYPES: dict[type[StrEnum], type] = {enum: _label_type(enum) for enum in LABELLED}

_Labels = type(
    "Labels",
    (),
    {
        "__annotations__": {
            "language": Language,
            **{_snake(_graphql_name(enum)): list[kind] for enum, kind in LABEL_TYPES.items()},  # type: ignore[valid-type]
        }
    },
)
Labels: Any = strawberry.type(
    _Labels,
    description="Every enumeration's values with their labels in one language." + VALUE_TYPE,
)


def labels_in(language: Language) -> Any:
    return Labels(
        language=language,
        **{
            _snake(_graphql_name(enum)): [
                kind(value=member, label=enum_label(member, language)) for member in enum
            ]
            for enum, kind in LABEL_TYPES.items()
        },
    )


def resolve_labels(info: Info, language: Language | None = None) -> Any:
    return labels_in(language or info.context.language)
