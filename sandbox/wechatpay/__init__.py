"""A WeChat Pay API v2 simulator: its own WSGI app, for development, demos and tests.

Run it with ``python -m sandbox.wechatpay --host 127.0.0.1 --port 5010``.
"""
from .app import create_app

__all__ = ["create_app"]
