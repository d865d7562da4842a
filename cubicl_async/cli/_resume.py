"""Resuming a `skip`/`limit` list at a saved position, through `Pager.starting_at`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TypeVar

from cubicl_async import Pager

__all__ = ["pages_from"]

T = TypeVar("T")


def pages_from(pager: Pager[T], skip: int) -> AsyncIterator[list[T]]:
    """Yield the pages of a `skip`/`limit` list from item `skip` on, one request each."""
    return (pager.starting_at(skip) if skip else pager).pages()
