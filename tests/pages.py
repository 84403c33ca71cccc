"""Every GET page of the portal, for the tests that visit them all (SQLite, axe-core).

The list comes from the app's URL map, so a page added later is visited without anyone
listing it. A page whose path takes arguments cannot be guessed: register an example
with `@example(rule)`, a function that returns the concrete URLs to visit. It runs in an
app context over the demo data and may add the rows its page needs. A rule with
arguments and no example fails those tests, naming the rule, instead of being skipped.
An example may also add variants (a query string) of a page without arguments.
"""
from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from app.accounts.seed import BUYERS, DEMO_PASSWORD, STAFF
from app.extensions import db

# Every demo login, each a different role or company (password DEMO_PASSWORD).
DEMO_ACCOUNTS = [email for email, *_ in BUYERS + STAFF]

# Not pages: served files, the benchmark's bare endpoint, and WeChat OAuth's way out and back
# (redirects to WeChat and from it, not something to look at).
NOT_PAGES = {"static", "core.hello", "payments.oauth_start", "payments.oauth_return"}

EXAMPLES: dict[str, Callable[[], list[str]]] = {}


def example(*rules: str) -> Callable[[Callable[[], list[str]]], Callable[[], list[str]]]:
    def register(fn: Callable[[], list[str]]) -> Callable[[], list[str]]:
        for rule in rules:
            EXAMPLES[rule] = fn
        return fn

    return register


def seed_demo(app: Flask) -> None:
    """Load every domain's demo data, as `flask seed-demo` does; call inside an app context."""
    for _name, seed in app.extensions["kj_seeders"]:
        seed()
        db.session.commit()


def every_page(app: Flask) -> list[str]:
    """The URL of every GET page of `app`, examples filled in; call inside its app context.

    Rows the examples add are committed, so that a server in another thread sees them.
    """
    rules = sorted((r for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint not in NOT_PAGES),
                   key=lambda r: r.rule)
    missing = [f"{r.rule} ({r.endpoint})" for r in rules if r.arguments and r.rule not in EXAMPLES]
    if missing:
        pytest.fail("these pages take path arguments and have no example: register one with "
                    "@example(rule) in tests/pages.py: " + ", ".join(missing), pytrace=False)
    stale = sorted(set(EXAMPLES) - {r.rule for r in rules})
    if stale:
        pytest.fail(f"tests/pages.py has examples for rules that no longer exist: {stale}", pytrace=False)
    urls: list[str] = []
    for rule in rules:
        if not rule.arguments:
            urls.append(rule.rule)
        if rule.rule in EXAMPLES:
            found = EXAMPLES[rule.rule]()
            if not found:
                pytest.fail(f"the example for {rule.rule} found nothing to show: seed demo data for it",
                            pytrace=False)
            urls += found
    db.session.commit()
    return urls


def _first(model: type) -> int:
    ident = db.session.scalar(select(model.id).order_by(model.id))
    assert ident is not None, f"the demo data has no {model.__name__}"
    return ident


# --------------------------------------------------------------------------- accounts

@example("/invite/<token>")
def _invitation() -> list[str]:
    from app.accounts import services
    from app.accounts.models import BuyerRole, Membership

    owner = db.session.scalar(select(Membership).where(Membership.role == BuyerRole.OWNER)
                              .order_by(Membership.id))
    assert owner is not None, "the demo data has no company owner"
    new = services.invite(inviter=owner.user, company_id=owner.company_id,
                          email="invited.page@example.test", role=BuyerRole.BUYER)
    return [f"/invite/{new.token}", "/invite/no-such-invitation"]


# --------------------------------------------------------------------------- catalog

@example("/catalog")
def _search() -> list[str]:
    return ["/catalog?q=面霜"]


@example("/catalog/products/<int:product_id>")
def _product() -> list[str]:
    from app.catalog.models import Product

    return [f"/catalog/products/{_first(Product)}"]


@example("/catalog/products/<int:product_id>/compare")
def _compare() -> list[str]:
    from app.catalog.models import Product

    product_id = _first(Product)
    return [f"/catalog/products/{product_id}/compare?quantity=3",
            f"/catalog/products/{product_id}/compare?quantity=3&sort=lead"]


def _kinds() -> dict[str, type]:
    from app.catalog.ops_views import KINDS

    return {name: kind.model for name, kind in KINDS.items()}


@example("/ops/catalog/<kind>")
def _ops_listing() -> list[str]:
    return [f"/ops/catalog/{name}" for name in _kinds()]


@example("/ops/catalog/<kind>/new")
def _ops_new() -> list[str]:
    return [f"/ops/catalog/{name}/new" for name in _kinds()]


@example("/ops/catalog/<kind>/<int:ident>/edit")
def _ops_edit() -> list[str]:
    return [f"/ops/catalog/{name}/{_first(model)}/edit" for name, model in _kinds().items()]


@example("/ops/catalog/suppliers/<int:supplier_id>/import", "/ops/catalog/suppliers/<int:supplier_id>/export.csv")
def _supplier_files() -> list[str]:
    from app.catalog.models import Supplier

    supplier_id = _first(Supplier)
    return [f"/ops/catalog/suppliers/{supplier_id}/import", f"/ops/catalog/suppliers/{supplier_id}/export.csv"]


@example("/ops/catalog/imports/<int:import_id>")
def _import_status() -> list[str]:
    from app.catalog.models import ImportStatus, PriceListImport, Supplier

    rejected = PriceListImport(supplier_id=_first(Supplier), filename="price-list.csv", content="",
                               status=ImportStatus.REJECTED, total_rows=2,
                               errors=[{"row": 2, "column": "unit_price", "reason": "not a number"}])
    db.session.add(rejected)
    db.session.flush()
    return [f"/ops/catalog/imports/{rejected.id}"]


# --------------------------------------------------------------------------- API

@example("/api/v1/landed-cost")
def _landed_cost_api() -> list[str]:
    return ["/api/v1/landed-cost?unit_price=12.50&currency=USD&quantity=3&shipping=8&regime=retail"
            "&category=COSMETICS"]


@example("/api/v1/products/<int:product_id>/offers")
def _offers_api() -> list[str]:
    from app.catalog.models import Product

    return [f"/api/v1/products/{_first(Product)}/offers?quantity=2"]


# --------------------------------------------------------------------------- orders

def _demo_order() -> list[int]:
    """An order of the first demo company's owner (other accounts see 404 there), placed
    once per walk; a priced offer from the demo catalog."""
    from app.accounts.models import User
    from app.catalog.models import Offer
    from app.orders import services
    from app.orders.models import Order

    owner = db.session.scalar(select(User).where(User.email == DEMO_ACCOUNTS[0]))
    found = db.session.scalar(select(Order.id).where(Order.buyer_id == owner.id).order_by(Order.id))
    if found is None:
        offer = db.session.scalar(select(Offer).where(Offer.active.is_(True), Offer.moq == 1,
                                                      Offer.order_increment == 1).order_by(Offer.id))
        found = services.create(owner, owner.memberships[0].company_id, [(offer.id, 1)]).id
    return [found]


def _order_page(suffix: str) -> Callable[[], list[str]]:
    return lambda: [f"/orders/{_demo_order()[0]}{suffix}"]


for _suffix in ("", "/pay", "/status", "/pay/return"):
    example(f"/orders/<int:order_id>{_suffix}")(_order_page(_suffix))


@example("/consignees/<int:consignee_id>/edit")
def _consignee_edit() -> list[str]:
    from app.orders.models import Consignee

    return [f"/consignees/{_first(Consignee)}/edit"]


@example("/api/v1/orders/<int:order_id>")
def _order_api() -> list[str]:
    return [f"/api/v1/orders/{_demo_order()[0]}", "/api/v1/orders/2147483647"]


# --------------------------------------------------------------------------- reconciliation and ledger

def _reconciled_run() -> int:
    """The demo day whose bill did not tie out (it has rows and exceptions)."""
    from app.statements.recon_models import ReconRun

    found = db.session.scalar(select(ReconRun.id).where(ReconRun.rows > 0).order_by(ReconRun.id))
    assert found is not None, "the demo data has no reconciled bill"
    return found


@example("/finance/reconciliation/<int:run_id>")
def _reconciliation_run() -> list[str]:
    from app.statements.recon_models import ReconRun

    run_id = _reconciled_run()
    return [f"/finance/reconciliation/{run_id}", f"/finance/reconciliation/{run_id}?status=all",
            f"/finance/reconciliation/{_first(ReconRun)}?status=resolved"]


for _suffix in ("summary", "bill", "exceptions.csv"):
    example(f"/finance/reconciliation/<int:run_id>/{_suffix}")(
        lambda suffix=_suffix: [f"/finance/reconciliation/{_reconciled_run()}/{suffix}"])


@example("/finance/ledger/accounts/<int:account_id>", "/finance/ledger/accounts/<int:account_id>.csv")
def _ledger_account() -> list[str]:
    from app.ledger.models import LedgerAccount

    account_id = _first(LedgerAccount)
    return [f"/finance/ledger/accounts/{account_id}", f"/finance/ledger/accounts/{account_id}.csv"]
