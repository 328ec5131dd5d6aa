"""Pagination of select statements: one count query and one page query, never the whole table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Page:
    items: list[Any]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_number(arg: str = "page") -> int:
    value = request.args.get(arg, "1")
    return max(1, min(int(value), 100_000)) if value.isdigit() else 1


def paginate(session: Session, stmt: Select, per_page: int = 20, number: int | None = None) -> Page:
    number = number or page_number()
    total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar() or 0
    number = min(number, max(1, -(-total // per_page)))  # a page past the last shows the last
    rows = session.execute(stmt.limit(per_page).offset((number - 1) * per_page)).all()
    items = [row if len(row) > 1 else row[0] for row in rows]
    return Page(items=items, number=number, per_page=per_page, total=total)
