"""Background work of accounts: texting one-time codes."""
from __future__ import annotations

from app.core.jobs import task


@task(retries=3, backoff=(5, 30, 60))
def text_code(code_id: int) -> str:
    """Text the code recorded as `code_id` if anyone is to get it (see codes.deliver);
    runs once per code request, after the request's commit."""
    from app.accounts import codes

    return codes.deliver(code_id)
