"""The price history chart: several Y labels at round values, and labels a person can read
on a phone as on a desktop (in Chromium)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from app.catalog.chart import nice_ticks
from tests.catalog.conftest import CatalogBuilder
from tests.catalog.test_catalog_browser import buyer_at


@pytest.mark.parametrize("lo, hi", [(4_000, 6_000), (5_000, 5_300), (10_000, 13_000), (12_345, 12_645),
                                    (100, 148_000), (0, 200), (99_900, 100_100)])
def test_the_y_axis_has_four_to_nine_round_labels(lo, hi):
    ticks, labels = nice_ticks(lo, hi)
    assert 4 <= len(ticks) <= 9, (lo, hi, ticks)
    assert all(lo <= t <= hi for t in ticks) and ticks == sorted(set(ticks))
    assert len(set(labels)) == len(labels)  # no two labels read the same
    steps = {b - a for a, b in zip(ticks, ticks[1:])}
    assert len(steps) == 1 and str(steps.pop()).rstrip("0") in ("1", "2", "25", "5")


def with_history(session) -> int:
    b = CatalogBuilder(session)
    s = b.comparison_scenario()
    from app.catalog.models import PricePoint
    from app.catalog.services import today

    for back in range(0, 90, 3):
        for key, base in (("tokyo", 1_000), ("ny", 800)):
            session.add(PricePoint(offer_id=s["offers"][key].id, day=today() - timedelta(days=back),
                                   unit_price_minor=base + back * 3))
    session.flush()
    return s["product"].id


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 900}],
                         ids=["phone", "desktop"])
def test_chart_labels_are_readable(page: Page, live_server, viewport):
    product_id = buyer_at(page, live_server, viewport, with_history)
    page.goto(f"{live_server.url}/catalog/products/{product_id}")
    chart = page.locator("svg.chart:visible")
    expect(chart).to_have_count(1)
    y_labels = chart.locator("text.tick.y")
    assert y_labels.count() >= 4
    heights = [t.bounding_box()["height"] for t in chart.locator("text.tick").all()]
    assert min(heights) >= 10, heights  # CSS pixels on the screen, after the SVG is scaled
    assert page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth") <= 0
