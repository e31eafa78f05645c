"""Paging: a list already in memory (ordered ids, computed rows) as a Slice shaped like Flask-SQLAlchemy's
Pagination, so `_macros.pagination` and the areas' pagers draw it; and a query through db.paginate. Either way a
page number past the end gives the last page (web.page_arg reads the number)."""

from __future__ import annotations

from dataclasses import dataclass

from .extensions import db
from .web import page_arg

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
    number = min(page_arg(arg, default), pages)
    start = (number - 1) * per_page
    return Slice(items[start:start + per_page], number, pages, len(items), start + 1, per_page)


def paginate(stmt, page: int, per_page: int = PER_PAGE):
    """db.paginate() of page `page` of `stmt`; a page past the end gives the last page (one query more)."""
    result = db.paginate(stmt, page=max(page, 1), per_page=per_page, max_per_page=per_page, error_out=False)
    if result.pages and page > result.pages:
        result = db.paginate(stmt, page=result.pages, per_page=per_page, max_per_page=per_page, error_out=False)
    return result
