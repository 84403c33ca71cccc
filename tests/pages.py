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
    """An unpaid order of the first demo company's owner (other accounts see 404 there),
    placed once per walk; a priced offer from the demo catalog."""
    from app.accounts.models import User
    from app.catalog.models import Offer
    from app.orders import services
    from app.orders.models import Order, OrderState

    owner = db.session.scalar(select(User).where(User.email == DEMO_ACCOUNTS[0]))
    # One waiting for its payment, whatever else the demo data holds (paid orders after payment).
    found = db.session.scalar(select(Order.id).where(Order.buyer_id == owner.id,
                                                     Order.state == OrderState.PENDING_PAYMENT).order_by(Order.id))
    if found is None:
        offer = db.session.scalar(select(Offer).where(Offer.active.is_(True), Offer.moq == 1,
                                                      Offer.order_increment == 1).order_by(Offer.id))
        found = services.create(owner, owner.memberships[0].company_id, [(offer.id, 1)]).id
    return [found]


def _order_page(suffix: str) -> Callable[[], list[str]]:
    return lambda: [f"/orders/{_demo_order()[0]}{suffix}"]


for _suffix in ("/pay", "/status", "/pay/return"):
    example(f"/orders/<int:order_id>{_suffix}")(_order_page(_suffix))


def _aftersale_orders(*cases: str) -> list[int]:
    """The demo orders after payment (app/orders/demo_aftersale.py) of these cases."""
    from app.orders.models import Order

    keys = [f"demo-aftersale-{case}" for case in cases]
    found = list(db.session.scalars(select(Order.id).where(Order.idempotency_key.in_(keys)).order_by(Order.id)))
    assert len(found) == len(keys), "the demo data has no orders after payment: app/orders/demo_aftersale.py"
    return found


@example("/orders/<int:order_id>")
def _order_pages() -> list[str]:
    """The unpaid order, and orders with refunds (one failed at WeChat), customs refused, shipped."""
    ids = _aftersale_orders("shipped_partly_refunded", "identity_refused", "refund_change", "rejected")
    return [f"/orders/{i}" for i in [_demo_order()[0], *ids]]


@example("/ops/orders/<int:order_id>")
def _desk_order() -> list[str]:
    ids = _aftersale_orders("requested", "identity_refused", "refund_change", "shipped_partly_refunded")
    return [f"/ops/orders/{i}" for i in ids] + ["/ops/orders/2147483647"]


@example("/ops/orders")
def _desk_filtered() -> list[str]:
    return ["/ops/orders?refund=requested&customs=succeeded", "/ops/orders?payment=open&state=lost"]


@example("/api/v1/refunds/<int:refund_id>")
def _refund_api() -> list[str]:
    from app.payments.models import Refund

    return [f"/api/v1/refunds/{_first(Refund)}", "/api/v1/refunds/2147483647"]


@example("/consignees/<int:consignee_id>/edit")
def _consignee_edit() -> list[str]:
    from app.orders.models import Consignee

    return [f"/consignees/{_first(Consignee)}/edit"]


@example("/api/v1/orders/<int:order_id>")
def _order_api() -> list[str]:
    return [f"/api/v1/orders/{_demo_order()[0]}", "/api/v1/orders/2147483647"]


# --------------------------------------------------------------------------- supplier settlement

def _settlement():
    from app.statements.settlement_models import Settlement

    found = db.session.scalar(select(Settlement).order_by(Settlement.id))
    assert found is not None, "the demo data has no settlement"
    return found


@example("/finance/settlement")
def _settlement_periods() -> list[str]:
    s = _settlement()
    return [f"/finance/settlement?month={s.period_first:%Y-%m}", "/finance/settlement?from=2026-11-20&to=2026-11-01"]


@example("/finance/settlement/suppliers/<int:supplier_id>", "/finance/settlement/suppliers/<int:supplier_id>/bank")
def _settlement_supplier() -> list[str]:
    s = _settlement()
    base = f"/finance/settlement/suppliers/{s.supplier_id}"
    return [base, f"{base}?month={s.period_first:%Y-%m}", f"{base}/bank"]


@example("/finance/settlements/<int:settlement_id>/files", "/finance/settlements/<int:settlement_id>.<any(pdf, csv):kind>")
def _settlement_files() -> list[str]:
    s = _settlement()
    return [f"/finance/settlements/{s.id}/files", f"/finance/settlements/{s.id}.pdf", f"/finance/settlements/{s.id}.csv"]


@example("/finance/payouts/<int:batch_id>", "/finance/payouts/<int:batch_id>/lines.csv",
         "/finance/payouts/<int:batch_id>/bank-file.csv")
def _payout_batch() -> list[str]:
    from app.statements.settlement_models import PayoutBatch

    ids = list(db.session.scalars(select(PayoutBatch.id).order_by(PayoutBatch.id)))
    assert ids, "the demo data has no payout batch"
    return ([f"/finance/payouts/{i}" for i in ids] + [f"/finance/payouts/{ids[0]}/lines.csv",
                                                       f"/finance/payouts/{ids[0]}/bank-file.csv"])

# --------------------------------------------------------------------------- helpdesk

def _demo_tickets() -> list:
    """The first demo company's tickets (one in each state; see app/helpdesk/seed.py)."""
    from app.accounts.models import User
    from app.helpdesk.models import Ticket

    owner = db.session.scalar(select(User).where(User.email == DEMO_ACCOUNTS[0]))
    found = list(db.session.scalars(select(Ticket).where(Ticket.company_id == owner.memberships[0].company_id)
                                    .order_by(Ticket.id)))
    assert {t.status.value for t in found} >= {"new", "open", "pending_customer", "resolved", "closed"}, \
        "the demo data has no ticket in every state"
    return found


def _demo_attachment():
    from app.helpdesk.models import Attachment

    found = db.session.scalar(select(Attachment).where(Attachment.ticket_id.in_([t.id for t in _demo_tickets()]))
                              .order_by(Attachment.id))
    assert found is not None, "the demo tickets have no attachment"
    return found


@example("/tickets/<int:ticket_id>")
def _ticket_pages() -> list[str]:
    return [f"/tickets/{t.id}" for t in _demo_tickets()]


@example("/helpdesk/tickets/<int:ticket_id>")
def _agent_ticket_pages() -> list[str]:
    from app.helpdesk.models import CannedReply

    tickets = _demo_tickets()
    canned = _first(CannedReply)
    return [f"/helpdesk/tickets/{t.id}" for t in tickets] + [f"/helpdesk/tickets/{tickets[0].id}?canned={canned}"]


@example("/tickets/<int:ticket_id>/conversation", "/helpdesk/tickets/<int:ticket_id>/conversation")
def _conversations() -> list[str]:
    ticket = _demo_tickets()[0].id
    return [f"/tickets/{ticket}/conversation", f"/helpdesk/tickets/{ticket}/conversation"]


@example("/tickets/<int:ticket_id>/attachments/<int:attachment_id>",
         "/api/v1/tickets/<int:ticket_id>/attachments/<int:attachment_id>")
def _attachments() -> list[str]:
    item = _demo_attachment()
    return [f"/tickets/{item.ticket_id}/attachments/{item.id}",
            f"/api/v1/tickets/{item.ticket_id}/attachments/{item.id}"]


@example("/helpdesk/tickets/<int:ticket_id>/orders/<int:order_id>")
def _agent_order() -> list[str]:
    ticket = next(t for t in _demo_tickets() if t.order_id)
    return [f"/helpdesk/tickets/{ticket.id}/orders/{ticket.order_id}"]


@example("/helpdesk")
def _queue_views() -> list[str]:
    return [f"/helpdesk?view={v}" for v in ("unassigned", "pending", "soon", "all")] + ["/helpdesk?view=all&q=面霜"]


@example("/helpdesk/canned/<int:reply_id>/edit")
def _canned_edit() -> list[str]:
    from app.helpdesk.models import CannedReply

    return [f"/helpdesk/canned/{_first(CannedReply)}/edit"]


@example("/helpdesk/sla/policies/<int:policy_id>")
def _policy_edit() -> list[str]:
    from app.helpdesk.models import SlaPolicy

    return [f"/helpdesk/sla/policies/{_first(SlaPolicy)}"]


@example("/helpdesk/sla/calendars/<int:calendar_id>")
def _calendar_edit() -> list[str]:
    from app.helpdesk.models import Calendar

    return [f"/helpdesk/sla/calendars/{ident}"
            for ident in db.session.scalars(select(Calendar.id).order_by(Calendar.id))]


@example("/api/v1/tickets/<int:ticket_id>")
def _ticket_api() -> list[str]:
    return [f"/api/v1/tickets/{_demo_tickets()[0].id}", "/api/v1/tickets/2147483647"]

# --------------------------------------------------------------------------- statements

def _demo_statements() -> list[int]:
    """The demo company's ready statement (seeded), and one waiting and one failed beside
    it, so that every state of the page is visited; other accounts see 404 there."""
    from app.accounts.models import User
    from app.statements.statement_models import Statement, StatementStatus

    owner = db.session.scalar(select(User).where(User.email == DEMO_ACCOUNTS[0]))
    company_id = owner.memberships[0].company_id
    ready = db.session.scalar(select(Statement.id).where(Statement.company_id == company_id,
                                                         Statement.status == StatementStatus.READY).order_by(Statement.id))
    assert ready is not None, "the demo data has no ready statement (app/statements/statement_seed.py)"
    ids = [ready]
    for status, phase in ((StatementStatus.BUILDING, "pdf"), (StatementStatus.FAILED, None)):
        found = db.session.scalar(select(Statement.id).where(Statement.company_id == company_id,
                                                             Statement.status == status).order_by(Statement.id))
        if found is None:
            row = Statement(company_id=company_id, period_start=db.session.get(Statement, ready).period_start,
                            period_end=db.session.get(Statement, ready).period_end, status=status, phase=phase,
                            error="build_failed" if status == StatementStatus.FAILED else None)
            db.session.add(row)
            db.session.flush()
            found = row.id
        ids.append(found)
    return ids


@example("/statements/<int:statement_id>")
def _statement_pages() -> list[str]:
    return [f"/statements/{i}" for i in _demo_statements()]


@example("/statements/<int:statement_id>/status")
def _statement_status() -> list[str]:
    return [f"/statements/{_demo_statements()[1]}/status"]


@example("/statements/<int:statement_id>.<any(pdf, csv):kind>")
def _statement_files() -> list[str]:
    ready = _demo_statements()[0]
    return [f"/statements/{ready}.pdf", f"/statements/{ready}.csv"]


@example("/api/v1/statements/<int:statement_id>.<any(pdf, csv):kind>")
def _statement_api_files() -> list[str]:
    ready = _demo_statements()[0]
    return [f"/api/v1/statements/{ready}.pdf", f"/api/v1/statements/{ready}.csv"]

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
