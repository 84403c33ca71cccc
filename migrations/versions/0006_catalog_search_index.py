"""Catalog search without a scan or a count: a trigram index for the text filter, and the
(best_landed_fen, id) order that keyset paging walks.

Revision ID: 0006_catalog_search_index
Revises: 0005_unit_of_work
"""
from __future__ import annotations

from alembic import op

revision = "0006_catalog_search_index"
down_revision = "0005_unit_of_work"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_products_best_landed", table_name="products")
    op.create_index("ix_products_best_landed", "products", ["best_landed_fen", "id"])
    op.drop_index("ix_products_category_best", table_name="products")
    op.create_index("ix_products_category_best", "products", ["category", "best_landed_fen", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index("ix_products_search_text_trgm", "products", ["search_text"], postgresql_using="gin",
                        postgresql_ops={"search_text": "gin_trgm_ops"})


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_products_search_text_trgm", table_name="products")
    op.drop_index("ix_products_category_best", table_name="products")
    op.create_index("ix_products_category_best", "products", ["category", "best_landed_fen"])
    op.drop_index("ix_products_best_landed", table_name="products")
    op.create_index("ix_products_best_landed", "products", ["best_landed_fen"])
