"""The local AWS process: moto's server app, our fidelity patches and extra services.

Runs in the foreground (`python -m localaws serve`); `localaws up` starts it in the
background. Once the socket is bound it writes server.json into the state directory,
which is how `up` learns the port and knows the server is ready.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import signal
import sys
import time
from pathlib import Path

HEALTH_PATH = "/_localaws/health"
SERVER_ID = "inspectorlink-localaws"

# Services moto lacks, as packages laid out like moto's own (models.py with a
# `<name>_backends` BackendDict, responses.py, urls.py). Each is registered as
# `moto.<name>` and given a URL pattern so the dispatcher routes signed requests to it.
EXTRA_SERVICES = {
    "inspector": ("localaws.inspector", r"https?://inspector\.(.+)\.amazonaws\.com"),
}


def register_extra_services() -> list[str]:
    import moto.backend_index as backend_index

    registered = []
    for name, (module_name, pattern) in EXTRA_SERVICES.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if err.name == module_name:
                continue  # not built yet
            raise
        sys.modules[f"moto.{name}"] = module
        backend_index.backend_url_patterns.append((name, re.compile(pattern)))
        registered.append(name)
    return registered


class HealthMiddleware:
    """Answers HEALTH_PATH so `up` can tell our server from whatever else holds a port."""

    def __init__(self, app, started: float):
        self.app = app
        self.body = json.dumps({"server": SERVER_ID, "pid": os.getpid(), "started": started}).encode()

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == HEALTH_PATH:
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(self.body)))])
            return [self.body]
        return self.app(environ, start_response)


def serve(state_dir: Path, host: str, port: int) -> None:
    from werkzeug.serving import make_server

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from . import patches
    from .inspector.admin import AdminMiddleware as InspectorAdminMiddleware
    from . import inspector2
    from .inspector2.admin import AdminMiddleware as Inspector2AdminMiddleware
    from .opensearch.middleware import OpenSearchMiddleware
    from .faults import FaultInjector
    from .mailbox import MailboxMiddleware
    from .webhooks import WebhooksMiddleware
    from .jira import JiraMiddleware
    from .service_access import ServiceAccessMiddleware
    from .request_counts import RequestCounter
    from .identity import IdentityPolicyEnforcer
    from .lost_answers import LostAnswers

    patches.apply_all()
    services = register_extra_services()
    inspector2.install()

    started = time.time()
    # A replayed answer is not counted again, nor does it meet an injected fault: the
    # client asked once. IAM refuses a call before any fault could fail it.
    app = HealthMiddleware(
        LostAnswers(
            RequestCounter(
                IdentityPolicyEnforcer(
                    FaultInjector(
                        ServiceAccessMiddleware(
                            MailboxMiddleware(
                                WebhooksMiddleware(
                                    JiraMiddleware(
                                        OpenSearchMiddleware(
                                            Inspector2AdminMiddleware(
                                                InspectorAdminMiddleware(DomainDispatcherApplication(create_backend_app))
                                            )
                                        )
                                    )
                                )
                            )
                        )
                    )
                )
            ),
            log=lambda line: print(line, flush=True),
        ),
        started,
    )
    try:
        server = make_server(host, port, app, threaded=True)
    except OSError as err:
        print(f"localaws: cannot listen on {host}:{port}: {err.strerror}", file=sys.stderr)
        sys.exit(3)
    # moto builds some URLs (SQS queue URLs) from MOTO_PORT.
    os.environ["MOTO_PORT"] = str(server.port)

    def stop(_signum, _frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    info = {
        "server": SERVER_ID,
        "pid": os.getpid(),
        "host": host,
        "port": server.port,
        "started": started,
        "extra_services": services,
    }
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = state_dir / "server.json.tmp"
    tmp.write_text(json.dumps(info))
    tmp.replace(state_dir / "server.json")
    print(f"localaws: serving on http://{host}:{server.port} (pid {os.getpid()})", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
