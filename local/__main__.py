"""`python -m local serve` (the local stack) and `python -m local invoke` (one function, once)."""

from __future__ import annotations

import argparse
import faulthandler
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from local.limits import Limits, LimitsError
from local.stack import DEFAULT_TEMPLATE, LocalStack, StackOptions


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s.%(msecs)03d %(name)s %(levelname)s %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    for noisy in ("botocore", "boto3", "urllib3", "werkzeug", "moto"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("local.mappings").setLevel(
        logging.DEBUG if os.environ.get("LOCAL_DEBUG_MAPPINGS") else logging.INFO
    )


def serve(args: argparse.Namespace) -> int:
    _logging(args.verbose)
    try:
        limits = Limits.parse(args.limits) if args.limits else None
    except LimitsError as exc:
        logging.getLogger("local").error("--limits: %s", exc)
        return 2
    options = StackOptions(
        template=Path(args.template),
        port=args.port,
        aws_port=args.aws_port,
        stripe_port=args.stripe_port,
        state_dir=Path(args.state_dir),
        verbose=args.verbose,
        seed=not args.no_seed,
        max_workers=args.max_workers,
        sqs_retry_delay_s=args.sqs_retry_delay,
        cdn_port=None if args.no_cdn else args.cdn_port,
        repo_root=Path.cwd(),
        listen=args.listen,
        limits=limits,
    )
    if not options.template.exists():
        logging.getLogger("local").error(
            "template %s not found; run `make synth-local` first", options.template
        )
        return 2
    stopped = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 <pid>` dumps every thread
    stack = LocalStack(options)
    try:
        try:
            stack.start()
        except (OSError, RuntimeError) as exc:
            logging.getLogger("local").error("cannot start the local stack: %s", exc)
            return 2
        while not stopped.wait(1):
            pass
    finally:
        stack.stop()
    return 0


def invoke(args: argparse.Namespace) -> int:
    from local.invoke import run_invoke

    _logging(args.verbose)
    if args.event == "-":
        event = json.load(sys.stdin)
    elif args.event:
        event = json.loads(Path(args.event).read_text())
    else:
        event = {}
    return run_invoke(
        Path(args.template), Path(args.state_dir), args.function, event, attach=not args.no_attach
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the whole stack locally")
    p.add_argument("--template", default=str(DEFAULT_TEMPLATE))
    p.add_argument("--port", type=int, default=_env_int("PORT", 3000))
    p.add_argument("--aws-port", type=int, default=_env_int("AWS_PORT", 4566))
    p.add_argument("--stripe-port", type=int, default=_env_int("STRIPE_PORT", 12111))
    p.add_argument(
        "--cdn-port",
        type=int,
        default=_env_int("CDN_PORT", 3001),
        help="where the template's CloudFront distribution is served (0: any free port)",
    )
    p.add_argument("--no-cdn", action="store_true", help="do not serve the CloudFront distribution")
    p.add_argument(
        "--listen",
        default=os.environ.get("LISTEN") or "127.0.0.1",
        help="address the API, the CDN, the AWS stand-in and the Stripe stub listen on (default 127.0.0.1;"
        " for `sam local`: the Docker bridge gateway, or 0.0.0.0)",
    )
    p.add_argument("--state-dir", default=".local", help="where outputs.json, state.json and logs/ go")
    p.add_argument("--verbose", action="store_true", help="function logs to the console, debug logging")
    p.add_argument("--no-seed", action="store_true", help="skip the admin user and demo products")
    p.add_argument("--max-workers", type=int, default=_env_int("LOCAL_MAX_WORKERS", 4), help="per function")
    p.add_argument(
        "--sqs-retry-delay",
        type=float,
        default=None,
        help="seconds before a failed SQS message is retried (default: the queue's visibility timeout)",
    )
    p.add_argument(
        "--limits",
        default=os.environ.get("LOCAL_LIMITS") or None,
        help="enforce AWS's and Stripe's rate limits, scaled (e.g. scale=0.01; see local/limits.py); "
        "default off",
    )
    p.set_defaults(run=serve)

    p = sub.add_parser("invoke", help="invoke one function once (like `sam local invoke`)")
    p.add_argument("function", help="logical id, physical name, handler, or a unique part of one")
    p.add_argument("-e", "--event", help="event JSON file ('-' for stdin); default {}")
    p.add_argument("--template", default=str(DEFAULT_TEMPLATE))
    p.add_argument("--state-dir", default=".local")
    p.add_argument("--no-attach", action="store_true", help="never use a running local stack")
    p.add_argument("--verbose", action="store_true")
    p.set_defaults(run=invoke)

    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
