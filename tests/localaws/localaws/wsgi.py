"""What several middlewares need from a WSGI request."""

from __future__ import annotations

import io


def request_body(environ: dict) -> bytes:
    """The request's body, read once and put back for whoever reads it next. A chunked
    upload (no Content-Length) ends where the server marks the stream as ending; its length
    is then set, as any other body's."""
    length = environ.get("CONTENT_LENGTH")
    if length:
        body = environ["wsgi.input"].read(int(length))
    elif environ.get("wsgi.input_terminated"):
        body = environ["wsgi.input"].read()
        environ["CONTENT_LENGTH"] = str(len(body))
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body
