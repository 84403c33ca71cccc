"""Ranking and recommendation rules on plain facts (no database)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from app.catalog.compare import Need, OfferFacts, rank, recommend, sort_rows
from app.catalog.landed_cost import PriceTier, Regime, ShippingRule, TaxRates

TODAY = date(2026, 11, 26)
RATES = TaxRates(vat=Decimal("0.13"))


def facts(offer_id: int, unit: int, lead: int = 5, **kw) -> OfferFacts:
    values = dict(offer_id=offer_id, supplier_id=offer_id, supplier_name=f"S{offer_id}", supplier_country="US",
                  fulfilment="overseas_warehouse", currency="CNY", unit_price_minor=unit, tiers=(),
                  moq=1, order_increment=1, stock=100, shipping=ShippingRule(), insurance_rate=Decimal(0),
                  lead_time_days=lead, regime=Regime.GENERAL, valid_from=TODAY - timedelta(days=1), valid_to=None,
                  on_time_rate=Decimal("0.95"), rating=Decimal("4.5"), fx_rate=Decimal(1), fx_day=TODAY)
    values.update(kw)
    return OfferFacts(**values)


def test_cheapest_wins_on_cost_alone_and_fastest_on_speed_alone():
    offers = [facts(1, 10_000, lead=10), facts(2, 12_000, lead=2)]
    cost = rank(offers, RATES, Need(w_cost=100, w_speed=0, w_reliability=0, today=TODAY))
    assert [r.facts.offer_id for r in cost if r.recommended] == [1]
    speed = rank(offers, RATES, Need(w_cost=0, w_speed=100, w_reliability=0, today=TODAY))
    assert [r.facts.offer_id for r in speed if r.recommended] == [2]


def test_all_weights_zero_falls_back_to_cost():
    rows = rank([facts(1, 10_000, lead=10), facts(2, 12_000, lead=2)], RATES,
                Need(w_cost=0, w_speed=0, w_reliability=0, today=TODAY))
    assert [r.facts.offer_id for r in rows if r.recommended] == [1]


def test_reasons_increment_validity_and_missing_rate():
    offers = [facts(1, 100, moq=6, order_increment=6), facts(2, 100, valid_to=TODAY - timedelta(days=1)),
              facts(3, 100, currency="USD", fx_rate=None), facts(4, 100, valid_from=TODAY + timedelta(days=3))]
    rows = {r.facts.offer_id: [c for c, _ in r.reasons] for r in rank(offers, RATES, Need(quantity=8, today=TODAY))}
    assert rows == {1: ["increment"], 2: ["price_not_valid"], 3: ["no_fx"], 4: ["price_not_valid"]}


def test_no_offer_can_serve_gives_no_recommendation():
    rows = rank([facts(1, 100, stock=0)], RATES, Need(today=TODAY))
    assert recommend(rows, Need(today=TODAY)) is None
    assert not any(r.recommended for r in rows)


def test_recommendation_numbers():
    need = Need(quantity=10, needed_by=TODAY + timedelta(days=8), today=TODAY)
    offers = [facts(1, 10_000, lead=5, tiers=(PriceTier(10, 9_000),)), facts(2, 9_500, lead=7)]
    rows = rank(offers, RATES, need)
    rec = recommend(rows, need)
    assert rec.row.facts.offer_id == 1
    # 9,000 vs 9,500 fen a unit before VAT; 13 % VAT on top: 101.70 vs 107.35
    assert rec.unit_saving_fen == 10_735 - 10_170
    assert rec.days_sooner == 2 and rec.days_before_need == 3 and not rec.only_option


def test_tie_on_price_and_speed_is_explained_by_score(app):
    from app.catalog.texts import recommendation_text

    need = Need(w_cost=50, w_speed=0, w_reliability=50, today=TODAY)
    offers = [facts(1, 10_000, rating=Decimal("5.0")), facts(2, 10_000, rating=Decimal("4.0"))]
    rec = recommend(rank(offers, RATES, need), need)
    assert rec.row.facts.offer_id == 1
    with app.test_request_context(headers={"Cookie": "kj_lang=en"}):
        text = recommendation_text(rec)
    assert text.startswith("Best balance for your weights: scores ") and "(S2)" in text


def test_sort_keeps_blocked_offers_last():
    rows = rank([facts(1, 300), facts(2, 100, stock=0), facts(3, 200)], RATES, Need(today=TODAY))
    assert [r.facts.offer_id for r in sort_rows(rows, "unit")] == [3, 1, 2]
    assert [r.facts.offer_id for r in sort_rows(rows, "unit", descending=True)] == [1, 3, 2]


def _text(app, rec):
    from app.catalog.texts import recommendation_text

    with app.test_request_context(headers={"Cookie": "kj_lang=en"}):
        return recommendation_text(rec)


def test_cost_claims_are_made_against_the_cheapest_other_offer(app):
    # S1 is cheapest but slow; S2 wins on speed; S3 is second by score and dearer than S2.
    need = Need(today=TODAY)
    offers = [facts(1, 10_000, lead=30), facts(2, 10_500, lead=2), facts(3, 12_000, lead=3)]
    rows = rank(offers, RATES, need)
    rec = recommend(rows, need)
    units = {r.facts.offer_id: r.cost.unit_landed_fen for r in rows}
    assert rec.row.facts.offer_id == 2 and rec.runner_up.facts.offer_id == 3
    assert rec.cheapest_other.facts.offer_id == 1
    assert rec.unit_saving_fen == units[1] - units[2] == -565   # ¥113.00 against ¥118.65
    text = _text(app, rec)
    assert "cheaper" not in text
    assert text == "Arrives 28 days sooner than the cheapest offer (S1), for ¥5.65 more per unit."


def test_the_cheapest_recommended_offer_is_compared_with_the_next_cheapest(app):
    need = Need(w_cost=100, w_speed=0, w_reliability=0, today=TODAY)
    offers = [facts(1, 10_000, lead=9), facts(2, 11_000, lead=2), facts(3, 10_100, lead=9)]
    rec = recommend(rank(offers, RATES, need), need)
    assert rec.row.facts.offer_id == 1 and rec.cheapest_other.facts.offer_id == 3
    assert _text(app, rec) == "¥1.13 cheaper per unit than the next cheapest offer (S3)."


def test_dearer_and_not_faster_recommendation_says_what_the_money_buys(app):
    need = Need(w_cost=10, w_speed=0, w_reliability=90, today=TODAY)
    offers = [facts(1, 10_000, on_time_rate=Decimal("0.50")), facts(2, 10_200, on_time_rate=Decimal("0.99"))]
    rec = recommend(rank(offers, RATES, need), need)
    assert rec.row.facts.offer_id == 2
    assert _text(app, rec) == ("More reliable than the cheapest offer (S1): 99% on time against 50%, "
                               "for ¥2.26 more per unit.")
