"""Catalog fixtures: a builder for suppliers, products, offers and FX rates."""
from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from app.catalog.landed_cost import Regime
from app.catalog.models import FxRate, Fulfilment, Offer, Product, Supplier, TaxCategory
from app.catalog.services import refresh_best_prices, today

_seq = itertools.count(1)


def ean13(n: int) -> str:
    body = f"69{n:010d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


class CatalogBuilder:
    """Saved (flushed) catalog rows with sensible defaults; every keyword can be overridden."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def tax_category(self, **kw: Any) -> TaxCategory:
        n = next(_seq)
        values = {"code": f"cat_{n}", "name_zh": f"类目{n}", "name_en": f"Category {n}",
                  "vat_rate": Decimal("0.13"), "consumption_rate": Decimal("0"), "tariff_rate": Decimal("0")}
        values.update(kw)
        obj = TaxCategory(**values)
        self.session.add(obj)
        self.session.flush()
        return obj

    def supplier(self, **kw: Any) -> Supplier:
        n = next(_seq)
        values = {"name": f"供应商 Supplier {n}", "country": "US", "fulfilment": Fulfilment.OVERSEAS_WAREHOUSE,
                  "currency": "USD", "lead_min_days": 3, "lead_max_days": 10,
                  "on_time_rate": Decimal("0.9500"), "rating": Decimal("4.5")}
        values.update(kw)
        obj = Supplier(**values)
        self.session.add(obj)
        self.session.flush()
        return obj

    def product(self, **kw: Any) -> Product:
        n = next(_seq)
        values = {"name_zh": f"商品{n}", "name_en": f"Product {n}", "brand": "Acme", "model": f"M{n}",
                  "gtin": ean13(n), "category": "cosmetics", "attributes": {}}
        values.update(kw)
        if "tax_category" not in values and "tax_category_id" not in values:
            values["tax_category"] = self.tax_category()
        obj = Product(**values)
        obj.refresh_search_text()
        self.session.add(obj)
        self.session.flush()
        return obj

    def offer(self, product: Product, supplier: Supplier, **kw: Any) -> Offer:
        n = next(_seq)
        values = {"supplier_sku": f"SKU-{n}", "currency": supplier.currency, "unit_price_minor": 10_000,
                  "price_tiers": [], "moq": 1, "order_increment": 1, "stock": 100,
                  "shipping_base_minor": 0, "shipping_per_unit_minor": 0, "insurance_rate": Decimal(0),
                  "lead_time_days": 5, "regime": Regime.RETAIL, "valid_from": today() - timedelta(days=30)}
        values.update(kw)
        obj = Offer(product=product, supplier=supplier, **values)
        self.session.add(obj)
        self.session.flush()
        return obj

    def fx(self, currency: str, rate: str, day: date | None = None) -> FxRate:
        obj = FxRate(currency=currency, rate=Decimal(rate), day=day or today(), source="test")
        self.session.add(obj)
        self.session.flush()
        return obj

    def refresh(self) -> None:
        refresh_best_prices()

    def comparison_scenario(self) -> dict[str, Any]:
        """A face cream with three offers whose ranking flips with the quantity.

        USD at 7.00, JPY at 0.05, EUR at 7.80. At 1 unit the Tokyo offer (¥50.00 a unit before
        tax) is cheapest; from 10 units the New York offer's tier price ($4.00 = ¥28.00) beats
        it; the Seoul offer needs 12 units (MOQ) and the Paris offer (€7.00) has only 3 in stock.
        """
        since = today() - timedelta(days=365)
        self.fx("USD", "7.00", since)
        self.fx("JPY", "0.05", since)
        self.fx("EUR", "7.80", since)
        cat = self.tax_category(code="cosmetics_test", name_zh="高档化妆品", name_en="Premium cosmetics",
                                consumption_rate=Decimal("0.15"), tariff_rate=Decimal("0.05"))
        product = self.product(name_zh="雪花秀保湿面霜", name_en="Sulwhasoo Moisturising Cream",
                               brand="Sulwhasoo", tax_category=cat)
        tokyo = self.supplier(name="东京优品 Tokyo", country="JP", currency="JPY", on_time_rate=Decimal("0.97"),
                              rating=Decimal("4.8"))
        ny = self.supplier(name="纽约 New York", country="US", currency="USD", on_time_rate=Decimal("0.90"),
                           rating=Decimal("4.2"))
        seoul = self.supplier(name="首尔 Seoul", country="KR", currency="USD", fulfilment=Fulfilment.BONDED_WAREHOUSE)
        paris = self.supplier(name="巴黎 Paris", country="FR", currency="EUR")
        offers = {
            # ¥1,000 × 0.05 = ¥50 per unit
            "tokyo": self.offer(product, tokyo, unit_price_minor=1_000, lead_time_days=4, stock=500),
            # $8.00 × 7 = ¥56 per unit; from 10 units $4.00 = ¥28
            "ny": self.offer(product, ny, unit_price_minor=800, lead_time_days=9, stock=500,
                             price_tiers=[{"min_quantity": 10, "unit_minor": 400}]),
            "seoul": self.offer(product, seoul, unit_price_minor=500, lead_time_days=3, moq=12, order_increment=12),
            "paris": self.offer(product, paris, unit_price_minor=700, lead_time_days=6, stock=3),
        }
        refresh_best_prices([product.id])
        return {"product": product, "offers": offers, "suppliers": [tokyo, ny, seoul, paris]}


@pytest.fixture
def catalog(db_session: Any) -> CatalogBuilder:
    return CatalogBuilder(db_session)


@pytest.fixture
def buyer_client(client: Any, make_user: Any, login: Any) -> Any:
    """Signed in as a buyer who reads the portal in English (the assertions quote English)."""
    login(client, make_user(role="buyer", language="en"))
    return client


@pytest.fixture
def ops_client(client: Any, make_user: Any, login: Any) -> Any:
    login(client, make_user(role=None, staff_role="ops", language="en"))
    return client
