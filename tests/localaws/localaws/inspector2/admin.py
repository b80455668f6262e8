"""The admin route of the Inspector v2 emulator: GET or POST /_localaws/inspector2/scan.

GET answers the emulator's state (clock, passes, findings by status, coverage count,
events sent, enabled scan types). POST a JSON object, optionally with
`"advance_seconds": <0..31536000>` and `"scanning": true|false`: switches continuous
scanning (the background passes) on or off, moves the emulator's clock forward, then makes
a scan pass at once (whatever `scanning` says); it answers like GET.

POST /_localaws/inspector2/cis-scan with `{"scanConfigurationArn": "<arn>"}` runs that CIS
scan configuration once now, whatever its schedule, and answers `{"scanArn": ...}` (404
for an unknown configuration).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from . import cis
from .scanner import scan_all
from .state import emulator

SCAN_PATH = "/_localaws/inspector2/scan"
CIS_PATH = "/_localaws/inspector2/cis-scan"
MAX_ADVANCE = 365 * 86400


class AdminMiddleware:
    def __init__(self, app: Callable):
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        if path == CIS_PATH:
            return _cis_scan(environ, start_response)
        if path != SCAN_PATH:
            return self.app(environ, start_response)
        method = environ.get("REQUEST_METHOD")
        if method == "GET":
            return _answer(start_response, "200 OK", emulator.describe())
        if method != "POST":
            return _answer(start_response, "405 Method Not Allowed", {"message": "use GET or POST"})
        length = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            body = json.loads(environ["wsgi.input"].read(length) or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _answer(start_response, "400 Bad Request", {"message": "the body must be a JSON object"})
        scanning = body.get("scanning")
        if scanning is not None and not isinstance(scanning, bool):
            return _answer(start_response, "400 Bad Request", {"message": "scanning must be true or false"})
        advance = body.get("advance_seconds", 0)
        if isinstance(advance, bool) or not isinstance(advance, (int, float)) or not 0 <= advance <= MAX_ADVANCE:
            return _answer(start_response, "400 Bad Request", {"message": f"advance_seconds must be a number from 0 to {MAX_ADVANCE}"})
        with emulator.lock:
            if scanning is not None:
                emulator.scanning = scanning
            emulator.offset += advance
            scan_all()
        return _answer(start_response, "200 OK", emulator.describe())


def _cis_scan(environ: dict, start_response: Callable) -> list[bytes]:
    if environ.get("REQUEST_METHOD") != "POST":
        return _answer(start_response, "405 Method Not Allowed", {"message": "use POST"})
    length = int(environ.get("CONTENT_LENGTH") or 0)
    try:
        body = json.loads(environ["wsgi.input"].read(length) or b"{}")
    except ValueError:
        body = None
    arn = body.get("scanConfigurationArn") if isinstance(body, dict) else None
    if not isinstance(arn, str):
        return _answer(start_response, "400 Bad Request", {"message": "the body must be {\"scanConfigurationArn\": \"<arn>\"}"})
    with emulator.lock:
        config = cis.configurations.get(arn)
        if config is None:
            return _answer(start_response, "404 Not Found", {"message": f"no CIS scan configuration {arn}"})
        scan = cis.run(config, emulator.now())
    return _answer(start_response, "200 OK", {"scanArn": scan.arn})


def _answer(start_response: Callable, status: str, body: dict) -> list[bytes]:
    payload = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]
