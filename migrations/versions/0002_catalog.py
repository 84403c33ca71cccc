"""Catalog: suppliers, tax categories, products, offers, FX rates, price history, price-list imports.

Revision ID: 0002_catalog
Revises: 0001_accounts
Create Date: 2026-11-26 13:15:03.372549

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_catalog'
down_revision = '0001_accounts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('fx_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('rate', sa.Numeric(precision=18, scale=8), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rate > 0', name=op.f('ck_fx_rates_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fx_rates')),
    sa.UniqueConstraint('currency', 'day', name=op.f('uq_fx_rates_currency'))
    )
    op.create_table('suppliers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('fulfilment', sa.Enum('overseas_warehouse', 'overseas_mall', 'bonded_warehouse', 'direct_mail', name='fulfilment_model'), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('lead_min_days', sa.Integer(), nullable=False),
    sa.Column('lead_max_days', sa.Integer(), nullable=False),
    sa.Column('on_time_rate', sa.Numeric(precision=5, scale=4), nullable=False),
    sa.Column('rating', sa.Numeric(precision=2, scale=1), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('lead_min_days >= 0 AND lead_max_days >= lead_min_days', name=op.f('ck_suppliers_lead_range')),
    sa.CheckConstraint('on_time_rate >= 0 AND on_time_rate <= 1', name=op.f('ck_suppliers_on_time_rate')),
    sa.CheckConstraint('rating >= 0 AND rating <= 5', name=op.f('ck_suppliers_rating')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suppliers')),
    sa.UniqueConstraint('name', name=op.f('uq_suppliers_name'))
    )
    with op.batch_alter_table('suppliers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suppliers_country'), ['country'], unique=False)

    op.create_table('tax_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('vat_rate', sa.Numeric(precision=6, scale=4), nullable=False),
    sa.Column('consumption_rate', sa.Numeric(precision=6, scale=4), nullable=False),
    sa.Column('tariff_rate', sa.Numeric(precision=6, scale=4), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('consumption_rate >= 0 AND consumption_rate < 1', name=op.f('ck_tax_categories_consumption_rate')),
    sa.CheckConstraint('tariff_rate >= 0 AND tariff_rate < 1', name=op.f('ck_tax_categories_tariff_rate')),
    sa.CheckConstraint('vat_rate >= 0 AND vat_rate < 1', name=op.f('ck_tax_categories_vat_rate')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tax_categories')),
    sa.UniqueConstraint('code', name=op.f('uq_tax_categories_code'))
    )
    op.create_table('price_list_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'done', 'rejected', 'failed', name='price_import_status'), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('created_count', sa.Integer(), nullable=False),
    sa.Column('updated_count', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_price_list_imports_supplier_id_suppliers')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_price_list_imports_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_price_list_imports'))
    )
    with op.batch_alter_table('price_list_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_price_list_imports_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('brand', sa.String(length=80), nullable=False),
    sa.Column('model', sa.String(length=80), nullable=False),
    sa.Column('gtin', sa.String(length=14), nullable=True),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.Column('image_url', sa.String(length=500), nullable=True),
    sa.Column('hs_code', sa.String(length=10), nullable=False),
    sa.Column('tax_category_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('best_landed_fen', sa.BigInteger(), nullable=True),
    sa.Column('best_offer_id', sa.Integer(), nullable=True),
    sa.Column('offer_count', sa.Integer(), nullable=False),
    sa.Column('supplier_countries', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tax_category_id'], ['tax_categories.id'], name=op.f('fk_products_tax_category_id_tax_categories')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('gtin', name=op.f('uq_products_gtin'))
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index('ix_products_best_landed', ['best_landed_fen'], unique=False)
        batch_op.create_index(batch_op.f('ix_products_brand'), ['brand'], unique=False)
        batch_op.create_index('ix_products_category_best', ['category', 'best_landed_fen'], unique=False)
        batch_op.create_index('ix_products_brand_lower', [sa.text('lower(brand)')], unique=False)
        batch_op.create_index(batch_op.f('ix_products_tax_category_id'), ['tax_category_id'], unique=False)

    op.create_table('offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('supplier_sku', sa.String(length=64), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('unit_price_minor', sa.BigInteger(), nullable=False),
    sa.Column('price_tiers', sa.JSON(), nullable=False),
    sa.Column('moq', sa.Integer(), nullable=False),
    sa.Column('order_increment', sa.Integer(), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=False),
    sa.Column('shipping_base_minor', sa.BigInteger(), nullable=False),
    sa.Column('shipping_per_unit_minor', sa.BigInteger(), nullable=False),
    sa.Column('shipping_free_over_minor', sa.BigInteger(), nullable=True),
    sa.Column('insurance_rate', sa.Numeric(precision=6, scale=4), nullable=False),
    sa.Column('lead_time_days', sa.Integer(), nullable=False),
    sa.Column('regime', sa.Enum('retail', 'general', name='import_regime'), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('insurance_rate >= 0 AND insurance_rate < 1', name=op.f('ck_offers_insurance_rate')),
    sa.CheckConstraint('lead_time_days >= 0', name=op.f('ck_offers_lead_time')),
    sa.CheckConstraint('moq >= 1 AND order_increment >= 1 AND stock >= 0', name=op.f('ck_offers_quantities')),
    sa.CheckConstraint('unit_price_minor >= 0', name=op.f('ck_offers_unit_price')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_offers_product_id_products')),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_offers_supplier_id_suppliers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offers')),
    sa.UniqueConstraint('supplier_id', 'supplier_sku', name=op.f('uq_offers_supplier_id'))
    )
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.create_index('ix_offers_product_active', ['product_id', 'active'], unique=False)
        batch_op.create_index(batch_op.f('ix_offers_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('price_points',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('unit_price_minor', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_price_points_offer_id_offers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_price_points')),
    sa.UniqueConstraint('offer_id', 'day', name=op.f('uq_price_points_offer_id'))
    )


def downgrade():
    op.drop_table('price_points')
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offers_supplier_id'))
        batch_op.drop_index('ix_offers_product_active')

    op.drop_table('offers')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_tax_category_id'))
        batch_op.drop_index('ix_products_brand_lower')
        batch_op.drop_index('ix_products_category_best')
        batch_op.drop_index(batch_op.f('ix_products_brand'))
        batch_op.drop_index('ix_products_best_landed')

    op.drop_table('products')
    with op.batch_alter_table('price_list_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_price_list_imports_supplier_id'))

    op.drop_table('price_list_imports')
    op.drop_table('tax_categories')
    with op.batch_alter_table('suppliers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suppliers_country'))

    op.drop_table('suppliers')
    op.drop_table('fx_rates')
    bind = op.get_bind()
    for name in ('price_import_status', 'import_regime', 'fulfilment_model'):
        sa.Enum(name=name).drop(bind, checkfirst=True)
