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

import schema.enums  # noqa: F401 - registers the enumerations with Strawberry first
from models.i18n import Language
from models.i18n.enums import ENGLISH, enum_label
from schema.node import VALUE_TYPE

__all__ = ["LABEL_TYPES", "Labels", "labels_in"]


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))


def _label_type(enum: type[StrEnum]) -> type:
    cls = type(f"{enum.__name__}Label", (), {"__annotations__": {"value": enum, "label": str}})
    description = f"A value of {enum.__name__} and its label in the asked language." + VALUE_TYPE
    return strawberry.type(cls, description=description)


LABEL_TYPES: dict[type[StrEnum], type] = {enum: _label_type(enum) for enum in ENGLISH}

_Labels = type(
    "Labels",
    (),
    {
        "__annotations__": {
            "language": Language,
            **{_snake(enum.__name__): list[kind] for enum, kind in LABEL_TYPES.items()},  # type: ignore[valid-type]
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
            _snake(enum.__name__): [
                kind(value=member, label=enum_label(member, language)) for member in enum
            ]
            for enum, kind in LABEL_TYPES.items()
        },
    )


def resolve_labels(info: Info, language: Language | None = None) -> Any:
    return labels_in(language or info.context.language)
