"""Payments: the gateway protocol and the WeChat Pay adapter (nothing runs at import)."""
