"""State machines: a table of allowed transitions per model, one function that applies one.

Every status change in the portal goes through `apply()`, which checks the table,
sets the status and tells whoever listens (the audit log) who made the change and
when, in the same transaction. An illegal change raises `IllegalTransition` and
changes nothing.
"""
from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from app.core.errors import DomainError
from app.core.models import utcnow


class IllegalTransition(DomainError):
    """The object's state does not allow this change."""

    code = "illegal_transition"
    status = 409

    def __init__(self, machine: Machine, obj: Any, current: enum.Enum, wanted: enum.Enum,
                 message: Any = None) -> None:
        self.machine, self.obj, self.current, self.wanted = machine, obj, current, wanted
        super().__init__(message or _l("This cannot be done any more: it has changed in the meantime. "
                                       "Reload the page to see where it stands."))

    def __str__(self) -> str:
        return f"{self.machine.name}: {self.current.value} → {self.wanted.value} is not allowed"


@dataclass(frozen=True)
class Transition:
    """One applied change, as the audit log records it."""

    machine: str
    obj: Any
    from_state: enum.Enum
    to_state: enum.Enum
    actor_id: int | None
    at: datetime
    note: str | None = None


@dataclass(frozen=True)
class Machine:
    """The allowed transitions of one model's `attribute` (default `status`)."""

    name: str
    transitions: Mapping[enum.Enum, frozenset[enum.Enum]]
    attribute: str = "status"
    # Optional timestamp attributes set when a state is entered: {State.SENT: "sent_at"}.
    stamps: Mapping[enum.Enum, str] = field(default_factory=dict)

    @classmethod
    def of(cls, name: str, table: Mapping[enum.Enum, Iterable[enum.Enum]], **kw: Any) -> Machine:
        return cls(name, {k: frozenset(v) for k, v in table.items()}, **kw)

    def allows(self, current: enum.Enum, wanted: enum.Enum) -> bool:
        return wanted in self.transitions.get(current, frozenset())

    def can(self, obj: Any, wanted: enum.Enum) -> bool:
        return self.allows(getattr(obj, self.attribute), wanted)

    def states(self) -> set[enum.Enum]:
        out = set(self.transitions)
        for targets in self.transitions.values():
            out |= targets
        return out


_listeners: list[Callable[[Transition], None]] = []


def listen(fn: Callable[[Transition], None]) -> None:
    """Call `fn` with every transition applied (registered from create_app, once)."""
    if fn not in _listeners:
        _listeners.append(fn)


def apply(machine: Machine, obj: Any, wanted: enum.Enum, *, actor_id: int | None = None,
          note: str | None = None, at: datetime | None = None, message: Any = None) -> Transition:
    """Move `obj` to `wanted` if `machine` allows it from its current state.

    Sets the attribute (and the state's timestamp, if the machine names one), then
    tells the listeners. Raises IllegalTransition, changing nothing, otherwise;
    `message` replaces its generic text for the user.
    """
    current = getattr(obj, machine.attribute)
    if not machine.allows(current, wanted):
        raise IllegalTransition(machine, obj, current, wanted, message)
    at = at or utcnow()
    setattr(obj, machine.attribute, wanted)
    stamp = machine.stamps.get(wanted)
    if stamp:
        setattr(obj, stamp, at)
    transition = Transition(machine.name, obj, current, wanted, actor_id, at, note)
    for fn in _listeners:
        fn(transition)
    return transition
