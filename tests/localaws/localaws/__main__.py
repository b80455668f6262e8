"""`python -m localaws {up,down,status,serve,env}`: see tests/localaws/README.md."""

from __future__ import annotations

import argparse
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
    except control.LocalAwsError as err:
        print(f"localaws: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
