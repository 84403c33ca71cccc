"""Operations forms: validation and conversion to model fields only, no catalog logic."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional, Regexp, ValidationError

from app.catalog.choices import CATEGORIES, COUNTRIES, FULFILMENT, REGIMES
from app.core import money, numbers
from app.core.forms import Form
from app.core.forms import required as _required
from app.core.numbers import N_
from app.core.money import MoneyError, minor_digits, to_major
from app.core.validators import is_static_path
from app.core.forms import WholeField


class NumberField(StringField):
    """A decimal read by one of the numbers parsers (rates, FX); `data` is a Decimal or None."""

    def __init__(self, label: object = None, validators: list | None = None,
                 parser: Any = numbers.parse_rate, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.parser = parser

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = self.parser(valuelist[0])
        except numbers.NumberError as e:
            self.data = None
            raise ValueError(e.message()) from None

    def _value(self) -> str:
        return "" if self.data is None else format(self.data, "f")


class PercentField(NumberField):
    """A rate typed as a percentage, as the lists show it ("13" for 0.13, numbers.parse_percent);
    `data` is the fraction the database keeps. At most 2 decimal places of the percentage
    (the 4 stored): more is refused, not rounded."""

    def __init__(self, label: object = None, validators: list | None = None, whole: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(label, validators, parser=lambda raw: numbers.parse_percent(raw, whole=whole), **kwargs)

    def _value(self) -> str:
        if self.raw_data:  # what was typed, when it is shown back with its error
            return self.raw_data[0]
        return "" if self.data is None else numbers.format_percent(self.data)


def _rate_field(label: object, required: bool = True) -> PercentField:
    return PercentField(label, validators=[_required() if required else Optional()])


class SupplierForm(Form):
    name = StringField(_l("Name"), validators=[_required(), Length(max=120)])
    country = SelectField(_l("Country"), choices=[], validators=[_required()])
    fulfilment = SelectField(_l("Fulfilment model"), choices=[], validators=[_required()])
    currency = SelectField(_l("Currency"), choices=[(c, c) for c in money.CODES], validators=[_required()])
    lead_min_days = WholeField(_l("Shortest lead time (days)"), validators=[_required()], hi=numbers.MAX_LEAD_DAYS)
    lead_max_days = WholeField(_l("Longest lead time (days)"), validators=[_required()], hi=numbers.MAX_LEAD_DAYS)
    on_time_rate = PercentField(_l("On-time rate (%)"), whole=True, validators=[_required()])
    rating = NumberField(_l("Rating (0–5)"), parser=lambda raw: numbers.parse_decimal(raw, places=1), validators=[
        _required(), NumberRange(min=0, max=5, message=_l("Enter a rating from 0 to 5."))])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = [(k, str(v)) for k, v in COUNTRIES.items()]
        self.fulfilment.choices = [(k.value, str(v)) for k, v in FULFILMENT.items()]

    def validate_lead_max_days(self, field: IntegerField) -> None:
        if self.lead_min_days.data is not None and field.data is not None and field.data < self.lead_min_days.data:
            raise ValidationError(_l("Must not be shorter than the shortest lead time."))

    def to_data(self) -> dict[str, Any]:
        from app.catalog.models import Fulfilment

        return {"name": self.name.data.strip(), "country": self.country.data,
                "fulfilment": Fulfilment(self.fulfilment.data), "currency": self.currency.data,
                "lead_min_days": self.lead_min_days.data, "lead_max_days": self.lead_max_days.data,
                "on_time_rate": self.on_time_rate.data.quantize(Decimal("0.0001")),
                "rating": self.rating.data.quantize(Decimal("0.1"))}


class TaxCategoryForm(Form):
    code = StringField(_l("Code"), validators=[_required(), Length(max=32), Regexp(
        r"^[a-z0-9_]+$", message=_l("Use lower-case letters, digits and underscores."))])
    name_zh = StringField(_l("Name (Chinese)"), validators=[_required(), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[_required(), Length(max=120)])
    vat_rate = _rate_field(_l("VAT rate (%)"))
    consumption_rate = _rate_field(_l("Consumption tax rate (%)"))
    tariff_rate = _rate_field(_l("Tariff rate, general trade (%)"))

    def to_data(self) -> dict[str, Any]:
        return {"code": self.code.data.strip(), "name_zh": self.name_zh.data.strip(),
                "name_en": self.name_en.data.strip(), "vat_rate": self.vat_rate.data,
                "consumption_rate": self.consumption_rate.data, "tariff_rate": self.tariff_rate.data}


def _gtin_check(form: Form, field: StringField) -> None:
    value = (field.data or "").strip()
    if not value:
        return
    if not value.isascii() or not value.isdigit() or len(value) not in (8, 12, 13, 14):
        raise ValidationError(_l("A GTIN has 8, 12, 13 or 14 digits."))
    digits = [int(d) for d in value]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:-1])))
    if (10 - total % 10) % 10 != digits[-1]:
        raise ValidationError(_l("The check digit does not match; please check the barcode."))


def _static_path(form: Form, field: StringField) -> None:
    if not is_static_path((field.data or "").strip()):
        raise ValidationError(_l("Use a path under /static/, such as /static/img/products/cream.jpg."))


class ProductForm(Form):
    name_zh = StringField(_l("Name (Chinese)"), validators=[_required(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[_required(), Length(max=200)])
    brand = StringField(_l("Brand"), validators=[_required(), Length(max=80)])
    model = StringField(_l("Model"), validators=[Optional(), Length(max=80)])
    gtin = StringField(_l("GTIN"), validators=[Optional(), _gtin_check])
    category = SelectField(_l("Category"), choices=[], validators=[_required()])
    tax_category_id = SelectField(_l("Tax category"), coerce=int, choices=[], validators=[_required()])
    hs_code = StringField(_l("HS code"), validators=[Optional(), Regexp(r"^[0-9]{6,10}$", message=_l("6 to 10 digits."))])
    # Pages allow images from this site only (Content-Security-Policy), so a path under /static/.
    image_url = StringField(_l("Image address"), validators=[Optional(), Length(max=500), _static_path])
    attributes = TextAreaField(_l("Specification (one “name: value” per line)"), validators=[Optional(), Length(max=4000)])

    def __init__(self, *args: Any, tax_categories: list = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category.choices = [(k, str(v)) for k, v in CATEGORIES.items()]
        locale = str(get_locale() or "zh_CN")
        self.tax_category_id.choices = [(t.id, t.name(locale)) for t in tax_categories]

    def validate_attributes(self, field: TextAreaField) -> None:
        for line in (field.data or "").splitlines():
            if line.strip() and ":" not in line:
                raise ValidationError(_l("Write each line as “name: value”."))

    def to_data(self) -> dict[str, Any]:
        attrs = {}
        for line in (self.attributes.data or "").splitlines():
            if line.strip():
                key, _, value = line.partition(":")
                attrs[key.strip()] = value.strip()
        return {"name_zh": self.name_zh.data.strip(), "name_en": self.name_en.data.strip(),
                "brand": self.brand.data.strip(), "model": (self.model.data or "").strip(),
                "gtin": (self.gtin.data or "").strip() or None, "category": self.category.data,
                "tax_category_id": self.tax_category_id.data, "hs_code": (self.hs_code.data or "").strip(),
                "image_url": (self.image_url.data or "").strip() or None, "attributes": attrs}

    @staticmethod
    def initial(product) -> dict[str, Any]:
        return {"attributes": "\n".join(f"{k}: {v}" for k, v in (product.attributes or {}).items())}


class MoneyField(StringField):
    """An amount in major units ("12.50"); converted to minor units of the offer's currency later.

    The text is checked here as a plain ASCII decimal of 0 or more; its decimal places and
    upper bound depend on the currency and are checked by `OfferForm._minor`.
    """

    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata(valuelist)
        if self.data:
            try:
                numbers.parse_decimal(self.data)
            except numbers.NumberError as e:
                raise ValueError(e.message()) from None


TIER_FORMAT = N_("Write tiers as quantity:price, e.g. 10:11.50; 50:9.90 (quantities from 2).")
TIER_PRICE = N_("The tier price for %(qty)s units must be an amount from 0 to %(max)s %(currency)s "
                "with at most %(n)s decimal places.")
TIER_TWICE = N_("Each tier quantity may appear once.")


def parse_tiers(text: str, currency: str) -> list[dict[str, int]]:
    """"10:11.50; 50:9.90" → [{"min_quantity": 10, "unit_minor": 1150}, ...]; raises NumberError.

    Quantities are whole numbers from 2, prices amounts from 0 to numbers.MAX_MINOR minor
    units: the same limits as the base price, for the ops form and the CSV importer alike.
    """
    tiers = []
    for part in (text or "").replace("\n", ";").split(";"):
        if not part.strip():
            continue
        qty, sep, price = part.partition(":")
        try:
            quantity = numbers.parse_int(qty, lo=2) if sep else None
        except numbers.NumberError:
            quantity = None
        if quantity is None:
            raise numbers.NumberError(TIER_FORMAT)
        try:
            minor = money.parse(price, currency)
        except numbers.NumberError:
            raise numbers.NumberError(TIER_PRICE, qty=quantity, currency=currency,
                                      max=f"{to_major(numbers.MAX_MINOR, currency):,}",
                                      n=minor_digits(currency)) from None
        tiers.append({"min_quantity": quantity, "unit_minor": minor})
    if len({t["min_quantity"] for t in tiers}) != len(tiers):
        raise numbers.NumberError(TIER_TWICE)
    return sorted(tiers, key=lambda t: t["min_quantity"])


def format_tiers(tiers: list[dict[str, int]], currency: str) -> str:
    return "; ".join(f"{t['min_quantity']}:{to_major(t['unit_minor'], currency)}" for t in tiers or [])


class OfferForm(Form):
    supplier_id = SelectField(_l("Supplier"), coerce=int, choices=[], validators=[_required()])
    product_id = WholeField(_l("Product number"), validators=[_required()], lo=1)
    supplier_sku = StringField(_l("Supplier SKU"), validators=[_required(), Length(max=64)])
    unit_price = MoneyField(_l("Unit price (supplier currency)"), validators=[_required()])
    price_tiers = StringField(_l("Quantity tiers"), validators=[Optional(), Length(max=500)])
    moq = WholeField(_l("Minimum order"), default=1, validators=[_required()], lo=1)
    order_increment = WholeField(_l("Order increment"), default=1, validators=[_required()], lo=1)
    stock = WholeField(_l("Stock"), default=0, validators=[_required()])
    shipping_base = MoneyField(_l("Shipping per order"), default="0", validators=[Optional()])
    shipping_per_unit = MoneyField(_l("Shipping per unit"), default="0", validators=[Optional()])
    shipping_free_over = MoneyField(_l("Free shipping from goods value"), validators=[Optional()])
    insurance_rate = _rate_field(_l("Insurance rate, share of goods (%)"), required=False)
    lead_time_days = WholeField(_l("Lead time (days)"), validators=[_required()], hi=numbers.MAX_LEAD_DAYS)
    regime = SelectField(_l("Import regime"), choices=[], validators=[_required()])
    valid_from = DateField(_l("Valid from"), validators=[_required()])
    valid_to = DateField(_l("Valid to"), validators=[Optional()])

    def __init__(self, *args: Any, suppliers: list = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.supplier_id.choices = [(s.id, f"{s.name} ({s.currency})") for s in suppliers]
        self._currency = {s.id: s.currency for s in suppliers}
        self.regime.choices = [(k.value, str(v)) for k, v in REGIMES.items()]

    def currency(self) -> str:
        return self._currency.get(self.supplier_id.data, "CNY")

    def _minor(self, field: MoneyField) -> int | None:
        if not field.data:
            return None
        try:
            return money.parse(field.data, self.currency())
        except numbers.NumberError as e:
            if e.msgid in (numbers.PLACES, numbers.NO_PLACES):
                field.errors.append(_l("Too many decimal places for %(currency)s.", currency=self.currency()))
            else:
                field.errors.append(e.message())
            raise MoneyError(str(e)) from None

    def to_data(self) -> dict[str, Any] | None:
        """Model fields, or None after adding errors to the fields that do not fit the currency."""
        from app.catalog.landed_cost import Regime

        try:
            tiers = parse_tiers(self.price_tiers.data or "", self.currency())
        except numbers.NumberError as e:
            self.price_tiers.errors.append(e.message())
            return None
        try:
            prices = [self._minor(f) for f in (self.unit_price, self.shipping_base, self.shipping_per_unit,
                                                self.shipping_free_over)]
        except MoneyError:
            return None
        if self.valid_to.data and self.valid_to.data < self.valid_from.data:
            self.valid_to.errors.append(_l("Must not be before the start date."))
            return None
        return {"supplier_id": self.supplier_id.data, "product_id": self.product_id.data,
                "supplier_sku": self.supplier_sku.data.strip(), "unit_price_minor": prices[0],
                "price_tiers": tiers, "moq": self.moq.data, "order_increment": self.order_increment.data,
                "stock": self.stock.data, "shipping_base_minor": prices[1] or 0,
                "shipping_per_unit_minor": prices[2] or 0, "shipping_free_over_minor": prices[3],
                "insurance_rate": self.insurance_rate.data or Decimal(0), "lead_time_days": self.lead_time_days.data,
                "regime": Regime(self.regime.data), "valid_from": self.valid_from.data,
                "valid_to": self.valid_to.data}

    @staticmethod
    def initial(offer) -> dict[str, Any]:
        c = offer.currency

        def major(v):
            return str(to_major(v, c)) if v is not None else ""
        return {"unit_price": major(offer.unit_price_minor), "price_tiers": format_tiers(offer.price_tiers, c),
                "shipping_base": major(offer.shipping_base_minor), "shipping_per_unit": major(offer.shipping_per_unit_minor),
                "shipping_free_over": major(offer.shipping_free_over_minor), "regime": offer.regime.value}


class FxRateForm(Form):
    currency = SelectField(_l("Currency"), choices=[(c, c) for c in money.CODES if c != "CNY"], validators=[_required()])
    rate = NumberField(_l("CNY per unit"), parser=numbers.parse_fx, validators=[_required()])
    day = DateField(_l("In force from"), validators=[_required()])
    source = StringField(_l("Source"), validators=[Optional(), Length(max=60)])

    def to_data(self) -> dict[str, Any]:
        return {"currency": self.currency.data, "rate": self.rate.data, "day": self.day.data,
                "source": (self.source.data or "").strip()}


class PriceListForm(Form):
    file = FileField(_l("Price list (CSV, UTF-8)"), validators=[
        FileRequired(message=_l("Choose a CSV file.")), FileAllowed(["csv", "txt"], _l("Upload a .csv file."))])
