"""Shared pieces of the admin routes: path parameters and the not-yet answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

IdPath = Annotated[int, Path(ge=1, le=2**62)]
MonthPath = Annotated[str, Path(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
PairingPath = Annotated[str, Path(min_length=1, max_length=100)]
NOT_YET: dict[int | str, dict[str, Any]] = {501: {"description": "not_implemented (later batch)"}}
