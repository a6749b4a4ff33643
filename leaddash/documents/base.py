"""From pydantic's errors to the project's: a model check raises `refuse(message, field)`;
`read_document` reads a document as a model, or raises InvalidInput for its first problem."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

from leaddash.errors import InvalidInput

REFUSED = "leaddash_refused"

Document = TypeVar("Document", bound=BaseModel)
Fallback = Callable[[ErrorDetails], InvalidInput]


def refuse(message: str, field: str | None = None) -> PydanticCustomError:
    """Return the error a model check raises: `message` for a person, `field` at fault
    (None: the top section of where the check failed)."""
    return PydanticCustomError(REFUSED, "{message}", {"message": message, "field": field})


def _plain(error: ErrorDetails) -> InvalidInput:
    """Return a refusal for a shape no check of ours words (a list where text belongs)."""
    where = " → ".join(str(part) for part in error["loc"]) or "the document"
    return InvalidInput(f"{where}: {error['msg']}. Correct it, and retry.", field=_section(error))


def _section(error: ErrorDetails) -> str | None:
    return str(error["loc"][0]) if error["loc"] else None


def refusal(exc: ValidationError, fallback: Fallback = _plain) -> InvalidInput:
    """Return the InvalidInput for the first problem of `exc`: our own message, with its
    field (else the section it sits in), or what `fallback` says of pydantic's error."""
    error = exc.errors(include_url=False)[0]
    if error["type"] != REFUSED:
        return fallback(error)
    context = error.get("ctx") or {}
    return InvalidInput(context["message"], field=context.get("field") or _section(error))


def read_document(model: type[Document], data: Any, fallback: Fallback = _plain) -> Document:
    """Return `data` read as `model`, or raise InvalidInput naming the first problem."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise refusal(exc, fallback) from None


def is_number(value: Any) -> bool:
    """Return True for an int, float or numpy number that is not a bool."""
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
