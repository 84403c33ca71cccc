"""The yardstick of bench/http_home.py: the cheapest Flask pages, nothing of the portal.

`/hello` returns a string. `/fortunes` is the cheapest page that does real work: one
SQLAlchemy Core query for 20 rows of the portal's `products` table and a 20-row Jinja
template (autoescaped), with no session, no login and no per-request hooks.

    DATABASE_URL=postgresql+psycopg://... gunicorn bench._bare_app:app
"""
from __future__ import annotations

import os

import sqlalchemy as sa
from flask import Flask, render_template
from jinja2 import DictLoader

engine = sa.create_engine(os.environ["DATABASE_URL"])
products = sa.table("products", sa.column("id"), sa.column("name_zh"), sa.column("brand"),
                    sa.column("best_landed_fen"))
FIRST_20 = sa.select(products).order_by(products.c.id).limit(20)

app = Flask(__name__)
# An .html name, so Flask autoescapes it as it does the portal's templates.
app.jinja_loader = DictLoader({"fortunes.html": """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Products</title></head>
<body><table>
<tr><th>id</th><th>name</th><th>brand</th><th>best landed</th></tr>
{% for p in products %}<tr><td>{{ p.id }}</td><td>{{ p.name_zh }}</td><td>{{ p.brand }}</td><td>
{%- if p.best_landed_fen is not none %}¥{{ "%d.%02d"|format(p.best_landed_fen // 100, p.best_landed_fen % 100) }}{% endif -%}
</td></tr>
{% endfor %}</table></body></html>
"""})


@app.get("/hello")
def hello() -> str:
    return "hello"


@app.get("/fortunes")
def fortunes() -> str:
    with engine.connect() as conn:
        rows = conn.execute(FIRST_20).all()
    return render_template("fortunes.html", products=rows)
