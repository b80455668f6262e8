#!/usr/bin/env python3
"""The sandbox's mailbox: an HTTP endpoint subscribed to the notifications topic that writes
every notification SNS delivers to a file, so a person can read what a ticketing system or
SIEM would receive.

  scripts/sandbox-mailbox.py --dir .sandbox/mailbox --port-file .sandbox/mailbox.port

Each POST is an SNS HTTP(S) delivery (docs: "Parsing message formats" in the SNS developer
guide): a SubscriptionConfirmation is confirmed by fetching its SubscribeURL; a
Notification is written to <dir>/<nnnn>-<subject words>.json with the
x-amz-sns-* headers, the SNS envelope and the finding document (the envelope's Message,
parsed). GET / lists the files. Listens on 127.0.0.1, on the port in --port-file when that
is free (so the subscription of an earlier apply stays valid), else any free port, which it
writes there.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--port-file", type=Path, required=True)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args) -> None:
            pass

        def do_GET(self) -> None:
            names = sorted(p.name for p in args.dir.glob("*.json"))
            self._answer(200, json.dumps({"directory": str(args.dir), "notifications": names}, indent=2))

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                envelope = json.loads(raw)
            except ValueError:
                return self._answer(400, "the body is not an SNS JSON document")
            kind = envelope.get("Type") or self.headers.get("x-amz-sns-message-type")
            if kind == "SubscriptionConfirmation" and envelope.get("SubscribeURL"):
                with urllib.request.urlopen(envelope["SubscribeURL"], timeout=10):
                    pass
                return self._answer(200, "confirmed")
            if kind != "Notification":
                return self._answer(200, f"ignored {kind}")
            try:
                document = json.loads(envelope.get("Message", ""))
            except ValueError:
                document = None
            # The subject starts with the severity: "[HIGH] 222222222222 us-east-1: <title>".
            words = re.sub(r"[^a-z0-9]+", "-", (envelope.get("Subject") or "notification").lower()).strip("-")[:64].strip("-")
            record = {
                "headers": {k.lower(): v for k, v in self.headers.items() if k.lower().startswith("x-amz-sns-")},
                "envelope": envelope,
                "finding": document,
            }
            with lock:
                args.dir.mkdir(parents=True, exist_ok=True)  # `make sandbox` empties it for a new local AWS
                number = len(list(args.dir.glob("*.json"))) + 1
                path = args.dir / f"{number:04d}-{words}.json"
                path.write_text(json.dumps(record, indent=2) + "\n")
            self._answer(200, "stored")

        def _answer(self, status: int, text: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    port = 0
    if args.port_file.exists():
        wanted = int(args.port_file.read_text().strip() or 0)
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", wanted)) != 0:
                port = wanted
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    args.port_file.write_text(f"{server.server_address[1]}\n")
    server.serve_forever()


if __name__ == "__main__":
    main()
