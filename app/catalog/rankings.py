"""A product's offers costed and ranked for a need, kept in this process's memory.

Costing is exact Decimal work per offer: a product with 5,000 offers takes far longer to
cost than any page may take, and a buyer pages through its table, sorts it and moves
the weight sliders over the same costs. So the loaded offers, their costs per quantity
and the rankings per need are kept, and used only while the catalog generation they
were built under is still the database's (models.catalog_generation: every change to
offers, suppliers or FX rates replaces it in the writing transaction, and the product
query reads it). The product's tax rates and the need are part of each key; the
business day is part of the product's, since prices and FX rates change by date.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from app.catalog.compare import (
    Need,
    OfferFacts,
    Recommendation,
    Row,
    cost_offers,
    default_descending,
    order_key,
    rank,
    recommend,
)
from app.catalog.landed_cost import TaxRates

# Rows (offers, costs and ranked rows alike) kept per process: a few thousand-offer
# products with several needs each, a few tens of megabytes at most.
MAX_ROWS = 100_000
COSTS_PER_PRODUCT = 4
RANKINGS_PER_PRODUCT = 8


@dataclass
class Ranking:
    rows: list[Row]                          # in offer order
    recommendation: Recommendation | None
    serving: int                             # how many offers can serve the need
    _memo: dict = field(default_factory=dict)

    def memo(self, key, compute: Callable[[], object]):
        """What `compute` makes of these rows, worked out once per ranking (orders, positions)."""
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = compute()
        return found

    def ordered(self, sort: str, descending: bool | None) -> tuple[list[Row], list[tuple]]:
        """The rows sorted for the table, with each one's order_key (for keyset pages)."""
        desc = default_descending(sort) if descending is None else descending

        def compute() -> tuple[list[Row], list[tuple]]:
            keyed = sorted(((order_key(r, sort, desc), r) for r in self.rows), key=lambda kr: kr[0])
            return [r for _, r in keyed], [k for k, _ in keyed]

        return self.memo(("order", sort, desc), compute)


def build(facts: list[OfferFacts], rates: TaxRates, need: Need,
          costs: list | None = None) -> Ranking:
    rows = rank(facts, rates, need, costs)
    return Ranking(rows, recommend(rows, need), sum(1 for r in rows if r.can_serve))


@dataclass
class _Book:
    generation: str
    facts: list[OfferFacts]
    costs: OrderedDict = field(default_factory=OrderedDict)
    rankings: OrderedDict = field(default_factory=OrderedDict)

    @property
    def weight(self) -> int:
        return len(self.facts) * (1 + len(self.costs) + len(self.rankings))


_books: OrderedDict[tuple[int, date], _Book] = OrderedDict()
_lock = threading.Lock()


def _remember(bucket: OrderedDict, key, value, limit: int) -> None:
    bucket[key] = value
    bucket.move_to_end(key)
    while len(bucket) > limit:
        bucket.popitem(last=False)


def ranking(product_id: int, generation: str | None, rates: TaxRates, need: Need,
            load: Callable[[], list[OfferFacts]]) -> Ranking:
    """The product's offers ranked for `need`, from memory while `generation` holds.

    `load` reads the offers from the database when they are not in memory. Without a
    generation (a database that has none yet) nothing is kept.
    """
    if generation is None:
        return build(load(), rates, need)
    key = (product_id, need.today)
    with _lock:
        book = _books.get(key)
        if book is not None and book.generation == generation:
            _books.move_to_end(key)
            found = book.rankings.get((need, rates))
            if found is not None:
                book.rankings.move_to_end((need, rates))
                return found
        else:
            book = None
    if book is None:
        book = _Book(generation, load())
    cost_key = (need.quantity, need.ytd_fen, rates)
    costs = book.costs.get(cost_key)
    if costs is None:
        costs = cost_offers(book.facts, rates, need.quantity, need.ytd_fen)
    result = build(book.facts, rates, need, costs)
    with _lock:
        current = _books.get(key)
        if current is not None and current.generation == generation:
            book = current          # another thread kept its own meanwhile: add to that one
        _remember(book.costs, cost_key, costs, COSTS_PER_PRODUCT)
        _remember(book.rankings, (need, rates), result, RANKINGS_PER_PRODUCT)
        _books[key] = book
        _books.move_to_end(key)
        _evict()
    return result


def _evict() -> None:
    """Least recently used products first; a product too big for the budget alone keeps
    only its latest costs and ranking (this request's), and nothing once even those are."""
    total = sum(b.weight for b in _books.values())
    while total > MAX_ROWS and len(_books) > 1:
        _, dropped = _books.popitem(last=False)
        total -= dropped.weight
    for key, book in list(_books.items()):
        while book.weight > MAX_ROWS and (len(book.costs) > 1 or len(book.rankings) > 1):
            for bucket in (book.rankings, book.costs):
                if len(bucket) > 1:
                    bucket.popitem(last=False)
        if book.weight > MAX_ROWS:
            del _books[key]


def forget() -> None:
    """Drop everything kept (tests; a process that must free the memory)."""
    with _lock:
        _books.clear()
