"""Demo catalog (seed-demo) and the large benchmark catalog (seed-bench).

The demo has 8 suppliers trading in 5 currencies, about 60 products in four
categories with offers, 180 days of FX rates and 180 days of price history.
Both seeders are deterministic (fixed random seeds) and safe to run again.
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select, text

from app.catalog.landed_cost import Regime
from app.catalog.models import FxRate, Fulfilment, Offer, PricePoint, Product, Supplier, TaxCategory
from app.catalog.services import refresh_best_prices, today
from app.core.money import minor_digits
from app.extensions import db

HISTORY_DAYS = 180

TAX_CATEGORIES = [
    # code, 中文, English, VAT, consumption tax, general-trade tariff
    ("cosmetics_premium", "高档化妆品", "Premium cosmetics", "0.13", "0.15", "0.05"),
    ("skincare", "普通护肤品", "Everyday skin care", "0.13", "0", "0.02"),
    ("infant_formula", "婴幼儿配方奶粉", "Infant formula", "0.13", "0", "0.05"),
    ("health_food", "保健食品", "Health food", "0.13", "0", "0.06"),
    ("electronics", "小家电及数码", "Small electronics", "0.13", "0", "0"),
]

FX_BASE = {"USD": "7.1180", "EUR": "7.7420", "JPY": "0.047850", "KRW": "0.0051230", "AUD": "4.6820"}

SUPPLIERS = [
    # name, country, fulfilment, currency, lead range, on-time, rating
    ("东京优品 Tokyo Yuhin", "JP", Fulfilment.OVERSEAS_WAREHOUSE, "JPY", (5, 9), "0.9620", "4.7"),
    ("大阪药妆直邮 Osaka Drug Direct", "JP", Fulfilment.DIRECT_MAIL, "JPY", (7, 14), "0.8810", "4.3"),
    ("首尔美妆 Seoul Beauty Hub", "KR", Fulfilment.BONDED_WAREHOUSE, "KRW", (3, 5), "0.9730", "4.6"),
    ("加州健康 California Wellness", "US", Fulfilment.OVERSEAS_MALL, "USD", (10, 18), "0.9120", "4.4"),
    ("纽约数码 NY Gadget Supply", "US", Fulfilment.OVERSEAS_WAREHOUSE, "USD", (8, 12), "0.9340", "4.2"),
    ("柏林乳品 Berlin Dairy Export", "DE", Fulfilment.DIRECT_MAIL, "EUR", (12, 20), "0.9010", "4.5"),
    ("巴黎美妆 Paris Beauté", "FR", Fulfilment.DIRECT_MAIL, "EUR", (9, 16), "0.8920", "4.1"),
    ("悉尼自然 Sydney Naturals", "AU", Fulfilment.BONDED_WAREHOUSE, "AUD", (4, 7), "0.9550", "4.8"),
]

# Which suppliers carry which category (indexes into SUPPLIERS).
CARRIERS = {
    "cosmetics": [0, 1, 2, 6, 7],
    "milk_powder": [5, 7, 0, 3],
    "health_food": [3, 7, 1, 0, 5],
    "electronics": [4, 0, 3, 2],
}

PRODUCTS = {
    # category: (tax category, GS1 prefix, [(中文, English, brand, model, price CNY, spec)])
    "cosmetics": ("cosmetics_premium", "49", [
        ("资生堂 红腰子精华 50ml", "Shiseido Ultimune Power Infusing Concentrate 50ml", "Shiseido", "ULT-50", 590, "50ml"),
        ("资生堂 悦薇水乳套装", "Shiseido Benefiance Lotion & Emulsion Set", "Shiseido", "BNF-SET", 720, "150ml+75ml"),
        ("雪花秀 滋盈生人参面霜 60ml", "Sulwhasoo Concentrated Ginseng Renewing Cream 60ml", "Sulwhasoo", "CGR-60", 1480, "60ml"),
        ("雪花秀 润燥精华 90ml", "Sulwhasoo First Care Activating Serum 90ml", "Sulwhasoo", "FCA-90", 860, "90ml"),
        ("SK-II 神仙水 230ml", "SK-II Facial Treatment Essence 230ml", "SK-II", "FTE-230", 1370, "230ml"),
        ("兰蔻 小黑瓶精华 50ml", "Lancôme Advanced Génifique Serum 50ml", "Lancôme", "AGS-50", 820, "50ml"),
        ("兰蔻 菁纯面霜 60ml", "Lancôme Absolue Soft Cream 60ml", "Lancôme", "ABS-60", 1850, "60ml"),
        ("后 天气丹水乳套装", "The History of Whoo Bichup Set", "Whoo", "BCH-SET", 1290, "150ml+110ml"),
        ("黛珂 紫苏水 300ml", "Cosme Decorté Phyto-Tune Lotion 300ml", "Decorté", "PTL-300", 430, "300ml"),
        ("科颜氏 高保湿面霜 125ml", "Kiehl's Ultra Facial Cream 125ml", "Kiehl's", "UFC-125", 420, "125ml"),
        ("雅诗兰黛 小棕瓶 50ml", "Estée Lauder Advanced Night Repair 50ml", "Estée Lauder", "ANR-50", 760, "50ml"),
        ("娇韵诗 双萃精华 50ml", "Clarins Double Serum 50ml", "Clarins", "DS-50", 690, "50ml"),
        ("肌肤之钥 光透白保湿面霜", "Clé de Peau Beauté Brightening Moisturizing Cream", "Clé de Peau", "CPB-BMC", 2100, "50g"),
        ("珂润 保湿面霜 40g", "Curél Intensive Moisture Cream 40g", "Curél", "CRL-40", 150, "40g"),
        ("资生堂 安热沙防晒乳 60ml", "Shiseido Anessa Perfect UV Milk 60ml", "Anessa", "ANS-60", 190, "60ml"),
    ]),
    "milk_powder": ("infant_formula", "40", [
        ("爱他美 白金版 1段 800g", "Aptamil Profutura Stage 1 800g", "Aptamil", "PF1-800", 420, "800g"),
        ("爱他美 白金版 2段 800g", "Aptamil Profutura Stage 2 800g", "Aptamil", "PF2-800", 410, "800g"),
        ("爱他美 白金版 3段 800g", "Aptamil Profutura Stage 3 800g", "Aptamil", "PF3-800", 395, "800g"),
        ("喜宝 有机 Pre段 600g", "HiPP Organic Combiotik Pre 600g", "HiPP", "HCP-600", 210, "600g"),
        ("喜宝 有机 1段 600g", "HiPP Organic Combiotik 1 600g", "HiPP", "HC1-600", 205, "600g"),
        ("喜宝 有机 2段 600g", "HiPP Organic Combiotik 2 600g", "HiPP", "HC2-600", 200, "600g"),
        ("a2 白金版 1段 900g", "a2 Platinum Premium Stage 1 900g", "a2", "A2P1-900", 330, "900g"),
        ("a2 白金版 2段 900g", "a2 Platinum Premium Stage 2 900g", "a2", "A2P2-900", 325, "900g"),
        ("a2 白金版 3段 900g", "a2 Platinum Premium Stage 3 900g", "a2", "A2P3-900", 290, "900g"),
        ("美素佳儿 1段 800g", "Friso Prestige Stage 1 800g", "Friso", "FP1-800", 350, "800g"),
        ("美赞臣 铂睿 1段 850g", "Enfamil Enspire Stage 1 850g", "Enfamil", "EE1-850", 430, "850g"),
        ("可瑞康 羊奶粉 1段 900g", "Karicare Goat Milk Stage 1 900g", "Karicare", "KG1-900", 300, "900g"),
        ("明治 奶粉 1段 800g", "Meiji Hohoemi Stage 1 800g", "Meiji", "MH1-800", 260, "800g"),
        ("贝拉米 有机 1段 800g", "Bellamy's Organic Stage 1 800g", "Bellamy's", "BO1-800", 240, "800g"),
        ("雀巢 能恩 1段 800g", "Nestlé NAN Optipro 1 800g", "Nestlé", "NAN1-800", 230, "800g"),
    ]),
    "health_food": ("health_food", "93", [
        ("Swisse 钙+维生素D 150片", "Swisse Calcium + Vitamin D 150 tablets", "Swisse", "SCD-150", 120, "150 tablets"),
        ("Swisse 胶原蛋白液 500ml", "Swisse Beauty Collagen Liquid 500ml", "Swisse", "SCL-500", 160, "500ml"),
        ("Blackmores 深海鱼油 400粒", "Blackmores Fish Oil 1000mg 400 capsules", "Blackmores", "BFO-400", 210, "400 capsules"),
        ("Blackmores 维生素C 500mg 200片", "Blackmores Vitamin C 500mg 200 tablets", "Blackmores", "BVC-200", 110, "200 tablets"),
        ("Move Free 氨糖软骨素 120粒", "Move Free Advanced 120 tablets", "Move Free", "MF-120", 230, "120 tablets"),
        ("Centrum 善存 多维元素 200片", "Centrum Adults Multivitamin 200 tablets", "Centrum", "CA-200", 180, "200 tablets"),
        ("Nature Made 维生素D3 2000IU", "Nature Made Vitamin D3 2000 IU 220 softgels", "Nature Made", "NMD3-220", 95, "220 softgels"),
        ("Life Space 益生菌 60粒", "Life-Space Broad Spectrum Probiotic 60 capsules", "Life-Space", "LSP-60", 190, "60 capsules"),
        ("DHC 维生素C 60日", "DHC Vitamin C 60 days", "DHC", "DHCC-60", 45, "120 tablets"),
        ("FANCL 综合维生素 30日", "FANCL Good Choice Multivitamin 30 days", "FANCL", "FGC-30", 160, "30 packs"),
        ("小林制药 纳豆激酶", "Kobayashi Nattokinase 30 days", "Kobayashi", "KN-30", 150, "60 capsules"),
        ("GNC 辅酶Q10 100mg", "GNC CoQ-10 100mg 120 softgels", "GNC", "GCQ-120", 260, "120 softgels"),
        ("Doppelherz 双心 叶黄素", "Doppelherz Lutein 60 capsules", "Doppelherz", "DL-60", 110, "60 capsules"),
        ("Healthy Care 蜂胶 2000mg", "Healthy Care Propolis 2000mg 200 capsules", "Healthy Care", "HCP-200", 130, "200 capsules"),
        ("Bio Island 婴幼儿鱼油", "Bio Island DHA for Kids 60 capsules", "Bio Island", "BIK-60", 120, "60 capsules"),
    ]),
    "electronics": ("electronics", "00", [
        ("松下 纳米水离子吹风机 EH-NA0J", "Panasonic Nanoe Hair Dryer EH-NA0J", "Panasonic", "EH-NA0J", 1690, "1600W"),
        ("松下 电动牙刷 EW-DP54", "Panasonic Electric Toothbrush EW-DP54", "Panasonic", "EW-DP54", 890, "Sonic"),
        ("飞利浦 声波牙刷 HX9911", "Philips Sonicare DiamondClean HX9911", "Philips", "HX9911", 1290, "Sonic"),
        ("博朗 9系 剃须刀 9450cc", "Braun Series 9 Shaver 9450cc", "Braun", "9450CC", 2390, "Wet & dry"),
        ("戴森 Supersonic 吹风机 HD15", "Dyson Supersonic Hair Dryer HD15", "Dyson", "HD15", 2990, "1600W"),
        ("索尼 降噪耳机 WH-1000XM5", "Sony WH-1000XM5 Noise Cancelling Headphones", "Sony", "WH-1000XM5", 2299, "Bluetooth"),
        ("索尼 真无线耳机 WF-1000XM5", "Sony WF-1000XM5 Earbuds", "Sony", "WF-1000XM5", 1699, "Bluetooth"),
        ("Bose QuietComfort 耳塞 II", "Bose QuietComfort Earbuds II", "Bose", "QCE2", 1799, "Bluetooth"),
        ("Kindle Paperwhite 第11代 16GB", "Kindle Paperwhite 11th gen 16GB", "Amazon", "KPW11-16", 1068, "6.8 inch"),
        ("任天堂 Switch OLED 日版", "Nintendo Switch OLED (Japan)", "Nintendo", "HEG-S-KAAAA", 2199, "OLED"),
        ("佳能 小型照片打印机 SELPHY", "Canon SELPHY CP1500 Photo Printer", "Canon", "CP1500", 899, "Dye-sub"),
        ("卡西欧 G-SHOCK GA-2100", "Casio G-SHOCK GA-2100", "Casio", "GA-2100", 790, "Watch"),
        ("象印 保温杯 SM-SF48", "Zojirushi Stainless Mug SM-SF48", "Zojirushi", "SM-SF48", 220, "480ml"),
        ("虎牌 电饭煲 JPW-S10", "Tiger Rice Cooker JPW-S10", "Tiger", "JPW-S10", 2580, "5.5 cups"),
        ("Anker 氮化镓充电器 65W", "Anker Nano II 65W Charger", "Anker", "A2663", 299, "65W"),
    ]),
}


def gtin13(prefix: str, n: int) -> str:
    """A valid EAN-13 for a serial number under a GS1 prefix."""
    body = (prefix + f"{n:010d}")[:12]
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _fx_history(rng: random.Random, end: date) -> list[dict]:
    rows = []
    for currency, base in FX_BASE.items():
        rate = Decimal(base)
        places = Decimal(base).as_tuple().exponent
        for back in range(HISTORY_DAYS, -1, -1):
            day = end - timedelta(days=back)
            drift = Decimal(rng.randint(-30, 30)) / Decimal(10000)
            rate = (rate * (1 + drift)).quantize(Decimal(1).scaleb(places))
            rows.append({"currency": currency, "rate": rate, "day": day,
                         "source": "中国人民银行中间价 (demo)"})
    return rows


def _minor(cny: Decimal, currency: str) -> int:
    """A supplier price for a CNY amount, in the supplier's minor units, rounded like a price list."""
    rate = Decimal(FX_BASE[currency]) if currency != "CNY" else Decimal(1)
    major = cny / rate
    if minor_digits(currency) == 0:
        step = 10 if currency == "JPY" else 100
        return int((major / step).to_integral_value()) * step
    return int((major * 100).to_integral_value())


def seed_demo() -> str:
    if db.session.scalar(select(func.count(Supplier.id))):
        return "catalog already present; left unchanged"
    rng = random.Random(20261126)
    end = today()
    db.session.execute(insert(FxRate), _fx_history(rng, end))
    categories = {}
    for code, zh, en, vat, ct, tariff in TAX_CATEGORIES:
        categories[code] = TaxCategory(code=code, name_zh=zh, name_en=en, vat_rate=Decimal(vat),
                                       consumption_rate=Decimal(ct), tariff_rate=Decimal(tariff))
        db.session.add(categories[code])
    suppliers = []
    for name, country, fulfilment, currency, (lo, hi), on_time, rating in SUPPLIERS:
        s = Supplier(name=name, country=country, fulfilment=fulfilment, currency=currency,
                     lead_min_days=lo, lead_max_days=hi, on_time_rate=Decimal(on_time), rating=Decimal(rating))
        suppliers.append(s)
        db.session.add(s)
    db.session.flush()

    serial = 1000
    offers: list[Offer] = []
    for category, (tax_code, prefix, items) in PRODUCTS.items():
        for zh, en, brand, model, price, spec in items:
            serial += 1
            product = Product(name_zh=zh, name_en=en, brand=brand, model=model, gtin=gtin13(prefix, serial),
                              category=category, attributes={"spec": spec}, hs_code=_hs(category),
                              tax_category=categories[tax_code])
            product.refresh_search_text()
            db.session.add(product)
            carriers = rng.sample(CARRIERS[category], k=min(len(CARRIERS[category]), rng.randint(3, 5)))
            for idx in carriers:
                offers.append(_demo_offer(rng, product, suppliers[idx], Decimal(price), end))
    db.session.add_all(offers)
    db.session.flush()
    points = []
    for offer in offers:
        points.extend(_history(rng, offer, end))
    db.session.execute(insert(PricePoint), points)
    refresh_best_prices()
    return (f"{len(suppliers)} suppliers, {sum(len(v[2]) for v in PRODUCTS.values())} products, "
            f"{len(offers)} offers, {len(points)} price points")


def _hs(category: str) -> str:
    return {"cosmetics": "3304990099", "milk_powder": "1901101000", "health_food": "2106909090",
            "electronics": "8516320000"}[category]


def _demo_offer(rng: random.Random, product: Product, supplier: Supplier, price_cny: Decimal, day: date) -> Offer:
    factor = Decimal(rng.randint(78, 108)) / 100
    unit = _minor(price_cny * factor, supplier.currency)
    bulk = supplier.fulfilment is Fulfilment.DIRECT_MAIL and rng.random() < 0.3
    moq = rng.choice([6, 12]) if bulk else 1
    tiers = []
    if rng.random() < 0.6:
        tiers = [{"min_quantity": 10, "unit_minor": unit * 96 // 100},
                 {"min_quantity": 50, "unit_minor": unit * 92 // 100}]
    regime = Regime.GENERAL if bulk else Regime.RETAIL
    ship_cny = Decimal(rng.choice([20, 30, 45, 60]))
    return Offer(
        supplier=supplier, product=product, supplier_sku=f"{supplier.country}-{product.model}-{rng.randint(100, 999)}",
        currency=supplier.currency, unit_price_minor=unit, price_tiers=tiers, moq=moq,
        order_increment=moq if bulk else 1, stock=rng.choice([0, 3, 8, 20, 60, 150, 400]),
        shipping_base_minor=_minor(ship_cny, supplier.currency),
        shipping_per_unit_minor=_minor(Decimal(rng.choice([0, 3, 5, 8])), supplier.currency),
        shipping_free_over_minor=_minor(Decimal(3000), supplier.currency) if rng.random() < 0.4 else None,
        insurance_rate=Decimal(rng.choice(["0", "0.003", "0.005"])),
        lead_time_days=rng.randint(supplier.lead_min_days, supplier.lead_max_days),
        regime=regime, valid_from=day - timedelta(days=HISTORY_DAYS), valid_to=None,
    )


def _history(rng: random.Random, offer: Offer, end: date) -> list[dict]:
    """A price that moves now and then (promotions, list changes), ending at today's price."""
    price, rows = offer.unit_price_minor, []
    for back in range(0, HISTORY_DAYS):
        day = end - timedelta(days=back)
        rows.append({"offer_id": offer.id, "day": day, "unit_price_minor": price})
        if rng.random() < 0.06:
            step = Decimal(rng.randint(-6, 7)) / 100
            price = max(int(Decimal(offer.unit_price_minor) * (1 + step)), 1)
    return rows


# --- benchmark data -------------------------------------------------------------------------

BENCH_PRODUCTS = 20_000
BENCH_OFFERS = 100_000


def seed_bench(products: int = BENCH_PRODUCTS, offers: int = BENCH_OFFERS, echo=print) -> str:
    """Add `products` products and `offers` offers (bulk inserts) on top of the demo catalog.

    The first bench product carries 200 offers and the second 50, so that the benchmark
    can show the comparison's query count does not grow with the number of offers; one
    more product has 5,000 (seed_crowded_product).
    """
    seed_demo()
    db.session.flush()
    if db.session.scalar(select(func.count(Product.id)).where(Product.model.like("BENCH-%"))):
        return "bench catalog already present; " + seed_crowded_product()
    rng = random.Random(7)
    end = today()
    categories = list(db.session.scalars(select(TaxCategory).order_by(TaxCategory.id)))
    currencies = ["USD", "EUR", "JPY", "KRW", "AUD", "CNY"]
    supplier_rows = [{
        "name": f"Bench supplier {i:03d}", "country": rng.choice(["JP", "KR", "US", "DE", "AU", "FR"]),
        "fulfilment": rng.choice(list(Fulfilment)), "currency": currencies[i % len(currencies)],
        "lead_min_days": (lo := rng.randint(2, 10)), "lead_max_days": lo + rng.randint(0, 10),
        "on_time_rate": Decimal(rng.randint(800, 995)) / 1000, "rating": Decimal(rng.randint(30, 50)) / 10,
        "active": True} for i in range(200)]
    supplier_ids = list(db.session.scalars(insert(Supplier).returning(Supplier.id, sort_by_parameter_order=True), supplier_rows))
    sup_currency = {sid: row["currency"] for sid, row in zip(supplier_ids, supplier_rows)}
    words = [("保湿面霜", "moisturising cream"), ("精华液", "serum"), ("奶粉", "milk formula"),
             ("维生素", "vitamin"), ("鱼油", "fish oil"), ("耳机", "headphones"), ("牙刷", "toothbrush"),
             ("吹风机", "hair dryer"), ("防晒霜", "sunscreen"), ("益生菌", "probiotic")]
    cat_for = {0: "cosmetics", 1: "cosmetics", 2: "milk_powder", 3: "health_food", 4: "health_food",
               5: "electronics", 6: "electronics", 7: "electronics", 8: "cosmetics", 9: "health_food"}
    tax_for = {"cosmetics": categories[0].id, "milk_powder": categories[2].id,
               "health_food": categories[3].id, "electronics": categories[4].id}
    product_ids: list[int] = []
    batch = 5000
    for start in range(0, products, batch):
        rows = []
        for n in range(start, min(start + batch, products)):
            w = n % len(words)
            zh, en = words[w]
            brand = f"Brand{n % 400:03d}"
            rows.append({
                "name_zh": f"{brand} {zh} {n}", "name_en": f"{brand} {en} {n}", "brand": brand,
                "model": f"BENCH-{n}", "gtin": gtin13("20", n), "category": cat_for[w], "attributes": {},
                "hs_code": "", "tax_category_id": tax_for[cat_for[w]], "active": True,
                "search_text": f"{brand} {zh} {n} {brand} {en} {n} bench-{n} {gtin13('20', n)}".lower(),
                "offer_count": 0})
        product_ids.extend(db.session.scalars(insert(Product).returning(Product.id, sort_by_parameter_order=True), rows))
        echo(f"products: {len(product_ids)}")
    # Offer counts per product: 200 and 50 for the first two, the rest spread evenly.
    counts = [200, 50] + [0] * (products - 2)
    remaining = offers - 250
    for i in range(2, products):
        counts[i] = remaining // (products - 2) + (1 if i - 2 < remaining % (products - 2) else 0)
    made = 0
    rows = []
    valid_from = end - timedelta(days=30)
    for pid, count in zip(product_ids, counts):
        base_cny = Decimal(rng.randint(50, 3000))
        for k in range(count):
            sid = supplier_ids[(pid + k * 7) % len(supplier_ids)]
            currency = sup_currency[sid]
            rows.append(_bench_offer(rng, k, pid, sid, currency, base_cny * Decimal(rng.randint(80, 120)) / 100,
                                     valid_from))
            if len(rows) >= batch:
                db.session.execute(insert(Offer), rows)
                made += len(rows)
                rows = []
                echo(f"offers: {made}")
    if rows:
        db.session.execute(insert(Offer), rows)
        made += len(rows)
    echo("refreshing best landed prices")
    refresh_best_prices()
    if db.engine.dialect.name == "postgresql":
        # Fresh statistics, so the planner knows the tables now hold 100,000 rows.
        for table in ("products", "offers", "suppliers", "fx_rates", "price_points"):
            db.session.execute(text(f"ANALYZE {table}"))
    return f"{len(product_ids)} bench products, {made} bench offers, 200 bench suppliers; " + seed_crowded_product()


def _bench_offer(rng: random.Random, k: int, product_id: int, supplier_id: int, currency: str,
                 price_cny: Decimal, valid_from: date) -> dict:
    """The k-th bench offer of a product: every third has a tier, every fifth sells by six,
    every fourth is general trade."""
    unit = _minor(price_cny, currency) or 1
    return {
        "supplier_id": supplier_id, "product_id": product_id, "supplier_sku": f"B{product_id}-{k}",
        "currency": currency, "unit_price_minor": unit,
        "price_tiers": [{"min_quantity": 10, "unit_minor": unit * 95 // 100}] if k % 3 == 0 else [],
        "moq": 1 if k % 5 else 6, "order_increment": 1 if k % 5 else 6, "stock": rng.randint(0, 500),
        "shipping_base_minor": _minor(Decimal(30), currency), "shipping_per_unit_minor": 0,
        "shipping_free_over_minor": None, "insurance_rate": Decimal("0.003"),
        "lead_time_days": rng.randint(2, 25), "regime": Regime.RETAIL if k % 4 else Regime.GENERAL,
        "valid_from": valid_from, "valid_to": None, "active": True}


CROWDED_MODEL = "CROWDED-5000"


def seed_crowded_product(offers: int = 5_000) -> str:
    """One more product, sold by the bench suppliers in `offers` offers: the comparison of a
    product with thousands of offers must still answer in a page's time."""
    if db.session.scalar(select(Product.id).where(Product.model == CROWDED_MODEL)) is not None:
        return "the crowded product is present"
    rng = random.Random(11)
    suppliers = list(db.session.execute(select(Supplier.id, Supplier.currency)
                                        .where(Supplier.name.like("Bench supplier %")).order_by(Supplier.id)))
    cosmetics = db.session.scalar(select(TaxCategory.id).order_by(TaxCategory.id))
    product = Product(name_zh="众商同售保湿面霜", name_en="Crowded moisturising cream", brand="Crowded",
                      model=CROWDED_MODEL, category="cosmetics", attributes={}, tax_category_id=cosmetics)
    product.refresh_search_text()
    db.session.add(product)
    db.session.flush()
    rows = []
    for k in range(offers):
        sid, currency = suppliers[k % len(suppliers)]
        price = Decimal(rng.randint(80, 400)) * Decimal(rng.randint(90, 110)) / 100
        rows.append(_bench_offer(rng, k, product.id, sid, currency, price, today() - timedelta(days=30)))
    for start in range(0, len(rows), 2000):
        db.session.execute(insert(Offer), rows[start:start + 2000])
    refresh_best_prices([product.id])
    return f"a product with {offers} offers"
