"""`python -m localaws {up,down,status,serve,fire-schedules,run-lambdas}`: see tests/localaws/README.md."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import control


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="localaws", description="The local AWS that inspectorlink's tests run on.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="start in the background, or reuse a healthy instance; writes .localaws/env")
    sub.add_parser("down", help="stop the instance `up` started")
    sub.add_parser("status", help="exit 0 if a healthy instance is running")
    serve = sub.add_parser("serve", help="run in the foreground (what `up` starts)")
    serve.add_argument("--state-dir", type=Path, default=None)
    serve.add_argument("--port", type=int, default=0)
    serve.add_argument("--host", default=control.HOST)
    fire = sub.add_parser("fire-schedules", help="fire the scheduled EventBridge rules of an account and region now")
    fire.add_argument("--account", required=True)
    fire.add_argument("--region", required=True)
    fire.add_argument("--prefix", default="", help="only rules whose name starts with this")
    lambdas = sub.add_parser("run-lambdas", help="run the deployed functions of the SQS event source mappings until their queues are empty")
    lambdas.add_argument("--account", required=True)
    lambdas.add_argument("--region", required=True)
    lambdas.add_argument("--logs", type=Path, required=True, help="directory for <function>.log")
    lambdas.add_argument("--timeout", type=float, default=600, help="seconds before giving up on a queue that is not empty")
    lambdas.add_argument("--function-prefix", default="", help="only functions whose name starts with this")
    lambdas.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="override a function environment variable")
    args = parser.parse_args(argv)

    try:
        if args.command == "up":
            control.up()
        elif args.command == "down":
            control.down()
        elif args.command == "status":
            return control.status()
        elif args.command == "serve":
            from .server import serve as run

            run(args.state_dir or control.state_dir(), args.host, args.port)
        elif args.command == "fire-schedules":
            from .accounts import Accounts
            from .schedules import fire as fire_schedules

            fired = fire_schedules(Accounts(_endpoint()), args.account, args.region, args.prefix)
            for line in fired:
                print(json.dumps(line))
            return 1 if any("error" in line for line in fired) else 0
        elif args.command == "run-lambdas":
            from .lambda_runner import run as run_lambdas

            overrides = dict(item.split("=", 1) for item in args.env)
            for line in run_lambdas(_endpoint(), args.account, args.region, args.logs, args.timeout, overrides, args.function_prefix):
                print(json.dumps(line))
    except control.LocalAwsError as err:
        print(f"localaws: {err}", file=sys.stderr)
        return 2
    except Exception as err:
        from .accounts import ServiceAccessDenied
        from .lambda_runner import LambdaRunnerError

        if not isinstance(err, (LambdaRunnerError, ServiceAccessDenied)):
            raise
        print(f"localaws: {err}", file=sys.stderr)
        return 2
    return 0


def _endpoint() -> str:
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        raise control.LocalAwsError("AWS_ENDPOINT_URL is not set: source the env file `up` wrote (.localaws/env)")
    return endpoint


if __name__ == "__main__":
    sys.exit(main())
