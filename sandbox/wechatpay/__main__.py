"""``python -m sandbox.wechatpay --host 127.0.0.1 --port 5010``"""
from __future__ import annotations

import argparse
import logging

from werkzeug.serving import run_simple

from .app import create_app


def main(argv: list[str] | None = None) -> None:
    """Start the simulator on a threaded development server."""
    parser = argparse.ArgumentParser(description="WeChat Pay API v2 simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5010)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        app = create_app()
    except ValueError as exc:  # a bad setting: say which, without a traceback
        parser.exit(2, f"sandbox.wechatpay: {exc}\n")
    sb = app.extensions["wechatpay_sandbox"]
    logging.getLogger(__name__).info(
        "WeChat Pay sandbox for mch_id %s appid %s, db %s, time scale %s; payer page "
        "http://%s:%s/_sandbox/", sb.config.mch_id, sb.config.appid, sb.config.db_path,
        sb.config.time_scale, args.host, args.port)
    # No reloader: a second process would run a second scheduler over the same file.
    run_simple(args.host, args.port, app, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
