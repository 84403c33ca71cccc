"""Demo consignees: each demo buyer who may order ships to the sandbox's default payer,
so that a demo order paid in the simulator clears its customs identity check."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.orders.consignees import save
from app.orders.models import Consignee

# 张三 is the WeChat Pay simulator's default payer (alice): customs compares the
# consignee's identity with the payer's, and answers SAME for this one.
DEMO_CONSIGNEE = {"name": "张三", "phone": "13800138000", "address": "广东省深圳市南山区科技园科苑路 15 号",
                  "id_number": "110101199003077512"}


def seed_demo() -> str:
    from app import accounts

    added = 0
    for user, company_id in accounts.members_who_buy():
        if db.session.scalar(select(Consignee.id).where(Consignee.user_id == user.id).limit(1)) is None:
            save(user, company_id, **DEMO_CONSIGNEE)
            added += 1
    orders = _demo_aftersale()
    return f"{added} demo consignees, {orders} demo orders after payment"


def _demo_aftersale() -> int:
    """Orders of the demo buyer with refunds, customs answers and shipments (demo_aftersale.py)."""
    from app import accounts
    from app.orders import demo_aftersale

    buyer, ops = accounts.find_user_by_email("buyer@demo.test"), accounts.find_user_by_email("ops@demo.test")
    if buyer is None or ops is None or buyer.company_id is None:
        return 0
    return demo_aftersale.seed(buyer, ops.id)
