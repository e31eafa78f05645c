"""Paging a list already in memory (ordered ids, computed rows), shaped like Flask-SQLAlchemy's Pagination
so `_macros.pagination` and the areas' pagers draw it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request

PER_PAGE = 50


@dataclass
class Slice:
    """One page of a list."""

    items: list
    page: int
    pages: int
    total: int
    first: int  #: 1-based number of the first row shown
    per_page: int = PER_PAGE

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1


def page_of(items: list, arg: str = "page", per_page: int = PER_PAGE, default: int = 1) -> Slice:
    """The page `?<arg>=N` of `items` (`default` without the argument); out-of-range numbers clamp to the
    first or the last page."""
    pages = max(1, -(-len(items) // per_page))
    number = min(max(request.args.get(arg, default, type=int) or 1, 1), pages)
    start = (number - 1) * per_page
    return Slice(items[start:start + per_page], number, pages, len(items), start + 1, per_page)
