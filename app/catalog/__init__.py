"""Catalog: suppliers, products, offers, FX rates, landed cost, comparison and price history."""
