"""Words for the numbers: landed-cost notes, why an offer cannot serve, why one is recommended."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import format_date, gettext as _, ngettext

from app.catalog.choices import REGIMES, label
from app.catalog.compare import Need, Recommendation
from app.catalog.landed_cost import Note, Regime
from app.core.money import format_money


def _percent(rate: Decimal) -> str:
    value = (Decimal(rate) * 100).normalize()
    return f"{value:f}%"


def _score(score: Decimal) -> str:
    return f"{(Decimal(score) * 100).quantize(Decimal('0.1'))}"


def note_text(note: Note) -> str:
    v = note.values
    if note.code == "over_transaction_limit":
        return _("The order's dutiable value is over the %(limit)s cross-border retail limit per order.",
                 limit=format_money(v["limit_fen"]))
    if note.code == "over_annual_limit":
        return _("This order would take the consignee past the %(limit)s yearly cross-border retail limit "
                 "(%(room)s left this year).", limit=format_money(v["limit_fen"]), room=format_money(v["room_fen"]))
    if note.code == "single_item_allowed":
        return _("A single item over the per-order limit may still clear as cross-border retail, "
                 "taxed in full and counted toward the yearly limit.")
    if note.code == "general_taxes_in_full":
        return _("General-trade tariff, consumption tax and VAT apply in full.")
    if note.code == "retail_rates":
        return _("Cross-border retail within limits: no tariff; consumption tax and VAT charged at 70%.")
    if note.code == "consumption_tax":
        return _("Consumption tax at %(rate)s is assessed on (value + tariff) ÷ (1 − rate).",
                 rate=_percent(v["rate"]))
    return note.code


def limit_words(cost) -> str | None:
    """What a retail order over a limit means, in words to show beside its total: the
    unit cost jumps by the general-trade taxes, which a mark alone does not say."""
    if cost is None or cost.within_limits or cost.regime_requested is not Regime.RETAIL:
        return None
    codes = {n.code: n.values for n in cost.notes}
    if "over_transaction_limit" in codes:
        return _("Over the %(limit)s per-order cross-border retail limit: taxed as general trade.",
                 limit=format_money(codes["over_transaction_limit"]["limit_fen"]))
    if "over_annual_limit" in codes:
        return _("Over the consignee’s %(limit)s yearly cross-border retail limit: taxed as general trade.",
                 limit=format_money(codes["over_annual_limit"]["limit_fen"]))
    return None


def notes_text(notes) -> list[str]:
    return [note_text(n) for n in notes]


def need_conditions(need: Need, regimes: dict) -> list[str]:
    """The parts of a need other than the quantity that differ from the defaults, in
    words: what the folded part of the need form holds, said on its fold."""
    parts = []
    if need.needed_by:
        parts.append(_("by %(day)s", day=format_date(need.needed_by)))
    if need.regime != "any":
        parts.append(regimes[Regime(need.regime)])
    if need.ytd_fen:
        parts.append(_("%(amount)s imported this year", amount=format_money(need.ytd_fen)))
    if (need.w_cost, need.w_speed, need.w_reliability) != (Need.w_cost, Need.w_speed, Need.w_reliability):
        parts.append(_("weights %(cost)d/%(speed)d/%(reliability)d", cost=need.w_cost, speed=need.w_speed,
                       reliability=need.w_reliability))
    return parts


def arrival_labels(rows) -> dict[int, tuple[str, str]]:
    """Lead days → ("9 days", "5 Dec 2026"), formatted once per distinct lead time, not per row."""
    labels: dict[int, tuple[str, str]] = {}
    for row in rows:
        days = row.facts.lead_time_days
        if days not in labels:
            labels[days] = (ngettext("%(num)d day", "%(num)d days", days), format_date(row.arrival))
    return labels


def reason_text(code: str, v: dict) -> str:
    if code == "moq":
        return ngettext("Minimum order is %(num)d unit.", "Minimum order is %(num)d units.", v["moq"])
    if code == "increment":
        return _("Sold in multiples of %(n)d.", n=v["increment"])
    if code == "stock" and v["stock"] == 0:
        return _("Out of stock.")
    if code == "stock":
        return ngettext("Only %(num)d unit in stock.", "Only %(num)d units in stock.", v["stock"])
    if code == "late":
        return ngettext("Arrives %(num)d day after your date.", "Arrives %(num)d days after your date.", v["days"])
    if code == "regime":
        return _("Ships only as %(regime)s.", regime=label(REGIMES, Regime(v["regime"])))
    if code == "price_not_valid":
        if v.get("valid_to"):
            return _("Price valid %(start)s to %(end)s.", start=format_date(v["valid_from"]),
                     end=format_date(v["valid_to"]))
        return _("Price valid from %(start)s.", start=format_date(v["valid_from"]))
    if code == "no_fx":
        return _("No exchange rate for %(currency)s yet.", currency=v["currency"])
    if code == "invalid":
        return _("The offer's data cannot be costed (%(field)s).", field=v["field"])
    return code


def _against_the_cheapest(rec: Recommendation) -> list[str]:
    """Why this offer, in numbers taken from the table: cost claims against the cheapest other offer."""
    best, cheap = rec.row, rec.cheapest_other
    name = cheap.facts.supplier_name
    saving, sooner = rec.unit_saving_fen or 0, rec.days_sooner or 0
    more_reliable = best.facts.on_time_rate > cheap.facts.on_time_rate
    on_time = {"a": _percent(best.facts.on_time_rate), "b": _percent(cheap.facts.on_time_rate)}
    if saving > 0:  # the recommended offer is the cheapest of all
        parts = [_("%(amount)s cheaper per unit than the next cheapest offer (%(name)s)",
                   amount=format_money(saving), name=name)]
        if sooner > 0 and rec.days_before_need is None:
            parts.append(ngettext("arrives %(num)d day sooner", "arrives %(num)d days sooner", sooner))
        return parts
    if saving < 0:  # a cheaper offer exists: say what the extra money buys
        more = format_money(-saving)
        if sooner > 0:
            return [ngettext("Arrives %(num)d day sooner than the cheapest offer (%(name)s), for %(amount)s more per unit",
                             "Arrives %(num)d days sooner than the cheapest offer (%(name)s), for %(amount)s more per unit",
                             sooner, name=name, amount=more)]
        if more_reliable:
            return [_("More reliable than the cheapest offer (%(name)s): %(a)s on time against %(b)s, "
                      "for %(amount)s more per unit", name=name, amount=more, **on_time)]
        return [_("Best balance for your weights: scores %(a)s against %(b)s for the cheapest offer (%(name)s), "
                  "which costs %(amount)s less per unit", a=_score(best.score), b=_score(cheap.score),
                  name=name, amount=more)]
    # The same landed unit cost as the cheapest other offer.
    if sooner > 0:
        return [ngettext("Same landed cost per unit as %(name)s, and arrives %(num)d day sooner",
                         "Same landed cost per unit as %(name)s, and arrives %(num)d days sooner", sooner, name=name)]
    if more_reliable:
        return [_("Same landed cost per unit as %(name)s, and more reliable: %(a)s on time against %(b)s",
                  name=name, **on_time)]
    runner = rec.runner_up
    return [_("Best balance for your weights: scores %(a)s against %(b)s for the next offer (%(name)s)",
              a=_score(best.score), b=_score(runner.score), name=runner.facts.supplier_name)]


def recommendation_text(rec: Recommendation) -> str:
    """One sentence with numbers: why this offer, against the cheapest other offer and the buyer's date."""
    best = rec.row
    parts: list[str] = []
    if rec.only_option:
        parts.append(_("The only offer that can serve this need, at %(unit)s per unit landed",
                       unit=format_money(best.cost.unit_landed_fen)))
    else:
        parts.extend(_against_the_cheapest(rec))
    if rec.days_before_need is not None:
        if rec.days_before_need > 0:
            parts.append(ngettext("arrives %(num)d day before your date", "arrives %(num)d days before your date",
                                  rec.days_before_need))
        else:
            parts.append(_("arrives on your date"))
    sentence = _(", ").join(parts) if len(parts) < 2 else _(", ").join(parts[:-1]) + _(" and ") + parts[-1]
    return sentence + _(".")
