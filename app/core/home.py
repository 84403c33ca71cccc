"""What the home page shows each signed-in user: a registry of panels that domains fill.

Core cannot import a domain, so a domain adds its panel from its `register(app)`: a
template of its own and a function that gathers what the panel shows for the user
(None when there is nothing to show). The home page renders each panel that the
user's roles allow, in `order`, with the context its function returned.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app


@dataclass(frozen=True)
class Panel:
    template: str
    context: Callable[[Any], Mapping[str, Any] | None]
    roles: frozenset[str]  # empty: every signed-in user
    order: int = 100


def add_panel(app: Flask, template: str, context_fn: Callable[[Any], Mapping[str, Any] | None],
              roles: tuple[str, ...] = (), *, order: int = 100) -> None:
    """Show `template` on the home page to users holding one of `roles` (from register(app))."""
    panels: list[Panel] = app.extensions.setdefault("kj_home_panels", [])
    panels.append(Panel(template, context_fn, frozenset(roles), order))
    panels.sort(key=lambda p: p.order)


def panels_for(user: Any) -> list[tuple[str, Mapping[str, Any]]]:
    """(template, context) of each panel `user` sees, gathered now."""
    from app.core.auth import has_role

    if not getattr(user, "is_authenticated", False):
        return []
    shown = []
    for panel in current_app.extensions.get("kj_home_panels", []):
        if panel.roles and not has_role(user, *panel.roles):
            continue
        context = panel.context(user)
        if context is not None:
            shown.append((panel.template, context))
    return shown
