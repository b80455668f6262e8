"""The admin route for Inspector run settings: GET or POST /_localaws/inspector/config.

POST a JSON object with any of `findings_per_instance` (0-1000) and `complete_runs`
(bool) to change the server-wide default; add `"account_id": "<12 digits>"` to change only
that account's settings, or send `{"account_id": ..., "reset": true}` to make the account
follow the default again. Both methods answer the current settings:
{"default": {...}, "accounts": {"<id>": {...}}}.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable

from .settings import SettingsError, settings

CONFIG_PATH = "/_localaws/inspector/config"


class AdminMiddleware:
    def __init__(self, app: Callable):
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != CONFIG_PATH:
            return self.app(environ, start_response)
        method = environ.get("REQUEST_METHOD")
        if method == "GET":
            return _answer(start_response, "200 OK", settings.describe())
        if method != "POST":
            return _answer(start_response, "405 Method Not Allowed", {"message": "use GET or POST"})
        try:
            _apply(_read_json(environ))
        except SettingsError as err:
            return _answer(start_response, "400 Bad Request", {"message": str(err)})
        return _answer(start_response, "200 OK", settings.describe())


def _read_json(environ: dict) -> dict:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    try:
        body = json.loads(environ["wsgi.input"].read(length) or b"{}")
    except ValueError:
        raise SettingsError("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise SettingsError("the body must be a JSON object")
    return body


def _apply(body: dict) -> None:
    account_id = body.pop("account_id", None)
    if account_id is not None and not (isinstance(account_id, str) and re.fullmatch(r"\d{12}", account_id)):
        raise SettingsError("account_id must be a 12-digit account id")
    if body.pop("reset", False):
        if account_id is None:
            raise SettingsError("reset needs an account_id")
        settings.reset(account_id)
    if body:
        settings.update(body, account_id)


def _answer(start_response: Callable, status: str, body: dict) -> list[bytes]:
    payload = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]
