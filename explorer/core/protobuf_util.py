"""The one protobuf helper the project needs, written for every protobuf release the dependency floor allows.

protobuf 6 added ``FieldDescriptor.is_repeated`` and dropped ``label``; protobuf 5 has only ``label``. A second
copy of this loop that used ``is_repeated`` made ``inspect`` fail with AttributeError on protobuf 5.29.
"""
from __future__ import annotations

from typing import Any, TypeVar

M = TypeVar("M")


def is_repeated(field: Any) -> bool:
    return field.is_repeated if hasattr(field, "is_repeated") else field.label == field.LABEL_REPEATED


def copy_fields(src: Any, dst: M, skip: str) -> M:
    """Copy every set field of the message ``src`` into ``dst`` except the field named ``skip``; returns ``dst``.
    Used to copy a model without its (large) initializers or graph, which CopyFrom cannot leave out."""
    for field, value in src.ListFields():
        if field.name == skip:
            continue
        if is_repeated(field):
            getattr(dst, field.name).extend(value)
        elif field.message_type is not None:
            getattr(dst, field.name).CopyFrom(value)
        else:
            setattr(dst, field.name, value)
    return dst
