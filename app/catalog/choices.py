"""Fixed vocabularies shown in forms and filters: product categories and supplier countries."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.catalog.landed_cost import Regime
from app.catalog.models import Fulfilment

CATEGORIES = {
    "cosmetics": _l("Cosmetics and skin care"),
    "milk_powder": _l("Infant milk powder"),
    "health_food": _l("Health food and supplements"),
    "electronics": _l("Small electronics"),
    "baby_care": _l("Baby care"),
    "food": _l("Food and drink"),
    "other": _l("Other"),
}

COUNTRIES = {
    "JP": _l("Japan"), "KR": _l("South Korea"), "US": _l("United States"),
    "DE": _l("Germany"), "FR": _l("France"), "GB": _l("United Kingdom"),
    "AU": _l("Australia"), "NZ": _l("New Zealand"), "NL": _l("Netherlands"),
    "IT": _l("Italy"), "CH": _l("Switzerland"), "CA": _l("Canada"),
    "HK": _l("Hong Kong, China"), "SG": _l("Singapore"), "CN": _l("Chinese mainland (bonded zone)"),
}

FULFILMENT = {
    Fulfilment.OVERSEAS_WAREHOUSE: _l("Overseas warehouse"),
    Fulfilment.OVERSEAS_MALL: _l("Overseas mall"),
    Fulfilment.BONDED_WAREHOUSE: _l("Bonded warehouse"),
    Fulfilment.DIRECT_MAIL: _l("Direct mail"),
}

REGIMES = {
    Regime.RETAIL: _l("Cross-border retail import"),
    Regime.GENERAL: _l("General trade"),
}


# Names of product attributes that code or demo data write under a key ("spec"); a name
# an operator types in the product form ("香型") is shown as typed.
ATTRIBUTES = {
    "spec": _l("Specification"),
}

# How the comparison can be sorted, each key named by its default direction
# (compare.default_descending); a column header can turn it around.
SORT_CHOICES = {
    "score": _l("Best match for your weights"),
    "unit": _l("Lowest landed cost per unit"),
    "total": _l("Lowest landed total"),
    "tax": _l("Lowest tax"),
    "lead": _l("Shortest lead time"),
    "rating": _l("Highest rating"),
    "on_time": _l("Most often on time"),
    "stock": _l("Most in stock"),
}


def label(mapping: dict, key) -> str:
    return str(mapping.get(key, key))

# Navigation labels (app/core/navigation.py) whose Chinese lives in this domain's catalog.
NAV_LABELS = (_l("Catalog"), _l("Landed cost"), _l("Catalog admin"))
