"""`?limit=&offset=` for list endpoints, bounded so no page is unbounded or overflows."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query

from api.schemas import MAX_DB_INT, MAX_PAGE_SIZE

DEFAULT_PAGE_SIZE = 50


@dataclass(frozen=True)
class PageRequest:
    limit: int
    offset: int


def page_request(
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size")
    ] = DEFAULT_PAGE_SIZE,
    offset: Annotated[int, Query(ge=0, le=MAX_DB_INT, description="Items to skip")] = 0,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset)


Paging = Annotated[PageRequest, Depends(page_request)]
