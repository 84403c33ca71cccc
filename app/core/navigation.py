"""The navigation each role sees: a registry that each domain adds its entries to."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object
    roles: frozenset[str]  # empty: every signed-in user
    setting: str | None = None  # shown only while this config flag is on
    order: int = 100


def add(app: Flask, endpoint: str, label: object, roles: tuple[str, ...] = (), *,
        setting: str | None = None, order: int = 100) -> None:
    """Add a menu entry (from a domain's register(app))."""
    items: list[NavItem] = app.extensions.setdefault("kj_nav", [])
    items.append(NavItem(endpoint, label, frozenset(roles), setting, order))
    items.sort(key=lambda i: i.order)


def items_for(user) -> list[NavItem]:
    from app.core.auth import has_role

    if not getattr(user, "is_authenticated", False):
        return []
    cfg = current_app.config
    return [item for item in current_app.extensions.get("kj_nav", [])
            if (not item.roles or has_role(user, *item.roles))
            and (item.setting is None or cfg.get(item.setting))]
