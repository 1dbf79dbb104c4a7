"""The embedded local AWS: moto's server on loopback, with every resource and some sample data.

Nothing is kept: the emulator holds everything in memory and forgets it when it stops.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# Local mode needs no account; these only satisfy boto3's credential chain for the emulator.
LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
}


@contextmanager
def embedded_aws(host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Run moto's server on host:port (0: any free port); yields its endpoint URL."""
    check_free(host, port)
    # One access-log line per API call would drown everything else the stack prints.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = _serialized_server(host, port)
    server.start()
    try:
        bound_host, bound_port = server.get_host_and_port()
        yield f"http://{bound_host}:{bound_port}"
    finally:
        server.stop()


def _serialized_server(host: str, port: int) -> Any:
    """moto's ThreadedMotoServer, answering one request at a time.

    moto's DynamoDB copies its tables during TransactWriteItems; two concurrent transactions make it
    fail with "dictionary changed size during iteration". Real DynamoDB has no such limit, so the
    emulator serializes requests rather than the consumer giving up its concurrency.
    """
    # Imported here: Lambda and AWS mode never need moto.
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from moto.server import ThreadedMotoServer
    from werkzeug.serving import make_server

    from local import moto_dynamodb

    moto_dynamodb.install()

    class SerializedMotoServer(ThreadedMotoServer):
        def _server_entry(self) -> None:
            app = DomainDispatcherApplication(create_backend_app)
            lock = threading.Lock()

            def one_at_a_time(environ: Any, start_response: Any) -> Any:
                with lock:
                    return list(app(environ, start_response))

            self._server = make_server(
                self._ip_address, self._port, one_at_a_time, True, request_handler=MotoRequestHandler
            )
            self._server_ready_event.set()
            self._server.serve_forever()

    return SerializedMotoServer(ip_address=host, port=port, verbose=False)


def check_free(host: str, port: int) -> None:
    """Raise OSError now: moto's server thread would die on a taken port and leave start() waiting."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


def local_environment(endpoint: str) -> dict[str, str]:
    """The variables that point boto3 (and the AWS CLI) in this and child processes at `endpoint`."""
    return {"AWS_ENDPOINT_URL": endpoint, **LOCAL_CREDENTIALS}


def use_endpoint(endpoint: str) -> None:
    """Point this process's boto3 at the emulator, the way a user would with `export`."""
    os.environ.update(local_environment(endpoint))
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
