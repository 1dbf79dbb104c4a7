"""Real HTTP servers on loopback, started for the suite: Debian's nginx, Python's http.server and waitress.

Each is a process of its own serving the photos folder; `Served` says where each behaviour is found on it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

NGINX = "/usr/sbin/nginx"
REDIRECTS = (301, 302, 303, 307, 308)
ROOT = Path(__file__).resolve().parents[2]


COMMON = ("keep-alive", "large", "tiny", "ipv6", "wrong-type")
REDIRECT_CASES = tuple(f"redirect-{code}-{kind}" for code in REDIRECTS for kind in ("relative", "absolute"))
# What each server can be made to do, with stock configuration (nginx) or a one-line option (http.server).
BEHAVIOURS = {
    "nginx": (*COMMON, "connection-close", "chunked", "ended-by-close", "gzip", "deflate", "headless",
              "no-type", "tls1.2", "tls1.3", *REDIRECT_CASES),
    "http.server": (*COMMON, "http/1.0"),
    # waitress lets no application set Connection; it closes after a body it had to chunk.
    "waitress": (*COMMON, "connection-close", "chunked", "gzip", "deflate", "headless", "no-type",
                 *REDIRECT_CASES),
}


@dataclass
class Served:
    """One server: the URL of a file under each behaviour it can produce."""

    name: str
    urls: dict[str, str] = field(default_factory=dict)  # behaviour → URL with {file} in it

    def url(self, behaviour: str, file: str) -> str:
        return self.urls[behaviour].format(file=file)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def wait_listening(
    process: subprocess.Popen[bytes], *addresses: tuple[str, int], log: Path | None = None
) -> None:
    """Until every address accepts a connection; the server's log in the failure when it never does."""
    deadline = time.monotonic() + 15
    for address in addresses:
        while True:
            try:
                socket.create_connection(address, timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    shown = log.read_text() if log and log.exists() else ""
                    pytest.fail(f"the server never listened on {address}: {shown}")
                time.sleep(0.05)


@contextmanager
def running(command: list[str], *addresses: tuple[str, int], log: Path | None = None) -> Iterator[None]:
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(process, *addresses, log=log)
        yield
    finally:
        process.terminate()
        process.wait(10)


# --- Python's http.server: HTTP/1.0 unless told otherwise --------------------------------------------------


@contextmanager
def http_server(photos: Path) -> Iterator[Served]:
    """`python -m http.server` three times: as it comes (HTTP/1.0), with --protocol HTTP/1.1, and on [::1]."""
    ports = free_port(), free_port(), free_port("::1")
    base = [sys.executable, "-m", "http.server", "--directory", str(photos)]
    with (running([*base, "--bind", "127.0.0.1", str(ports[0])], ("127.0.0.1", ports[0])),
          running([*base, "--bind", "127.0.0.1", "--protocol", "HTTP/1.1", str(ports[1])],
                  ("127.0.0.1", ports[1])),
          running([*base, "--bind", "::1", str(ports[2])], ("::1", ports[2]))):
        plain = f"http://127.0.0.1:{ports[0]}/{{file}}"
        yield Served("http.server", {
            "http/1.0": plain, "large": plain, "tiny": plain,
            "keep-alive": f"http://127.0.0.1:{ports[1]}/{{file}}",
            "wrong-type": f"{plain}.txt",
            "ipv6": f"http://[::1]:{ports[2]}/{{file}}",
        })


# --- waitress, serving the photos through tests/conformance/static_app.py ----------------------------------


@contextmanager
def waitress(photos: Path) -> Iterator[Served]:
    main, other, v6 = free_port(), free_port(), free_port("::1")
    other_base = f"http://127.0.0.1:{other}"
    command = [sys.executable, "-m", "tests.conformance.static_app", str(photos), other_base,
               f"127.0.0.1:{main}", f"127.0.0.1:{other}", f"[::1]:{v6}"]
    with running(command, ("127.0.0.1", main), ("127.0.0.1", other), ("::1", v6)):
        base = f"http://127.0.0.1:{main}"
        urls = {behaviour: f"{base}/{route}/{{file}}" for behaviour, route in {
            "keep-alive": "plain", "connection-close": "chunked", "chunked": "chunked", "gzip": "gzip",
            "deflate": "deflate", "headless": "headless", "wrong-type": "wrong-type", "no-type": "no-type",
            "large": "plain", "tiny": "plain"}.items()}
        urls |= redirects(base)
        urls["ipv6"] = f"http://[::1]:{v6}/plain/{{file}}"
        yield Served("waitress", urls)


def redirects(base: str) -> dict[str, str]:
    return {f"redirect-{code}-{kind}": f"{base}/{code}-{kind}/{{file}}"
            for code in REDIRECTS for kind in ("relative", "absolute")}


# --- nginx ---------------------------------------------------------------------------------------------


def nginx_missing() -> str | None:
    if shutil.which(NGINX) is None:  # absent, or not executable
        return f"{NGINX} is missing: apt-get install nginx-light (the conformance suite serves with it)"
    return None


@contextmanager
def nginx(photos: Path, folder: Path, tls: tuple[Path, Path]) -> Iterator[Served]:
    ports = {name: free_port() for name in ("main", "close", "ipv6", "tls1.2", "tls1.3")}
    config = folder / "nginx.conf"
    config.write_text(nginx_config(photos, folder, ports, tls))
    log = folder / "error.log"
    addresses = [("127.0.0.1", port) for name, port in ports.items() if name != "ipv6"]
    command = [NGINX, "-p", str(folder), "-c", str(config)]
    with running(command, *addresses, ("::1", ports["ipv6"]), log=log):
        base = f"http://127.0.0.1:{ports['main']}"
        urls = {behaviour: f"{base}/{behaviour}/{{file}}" for behaviour in (
            "chunked", "ended-by-close", "gzip", "deflate", "headless", "wrong-type", "no-type")}
        urls |= {"keep-alive": f"{base}/plain/{{file}}", "large": f"{base}/plain/{{file}}",
                 "tiny": f"{base}/plain/{{file}}",
                 "connection-close": f"http://127.0.0.1:{ports['close']}/plain/{{file}}",
                 "ipv6": f"http://[::1]:{ports['ipv6']}/plain/{{file}}",
                 "tls1.2": f"https://localhost:{ports['tls1.2']}/plain/{{file}}",
                 "tls1.3": f"https://localhost:{ports['tls1.3']}/plain/{{file}}"}
        yield Served("nginx", urls | redirects(base))


def nginx_config(photos: Path, folder: Path, ports: dict[str, int], tls: tuple[Path, Path]) -> str:
    """One nginx, in the foreground as one process: a server per port, a location per behaviour."""
    cert, key = tls
    # sub_filter drops Content-Length (it may change the body; this pattern never matches): nginx then chunks
    # the body, or, with chunking off, ends it by closing the connection.
    rewritten = "sub_filter_types *; sub_filter 'never-in-a-photo' 'x';"
    redirect_locations = "\n".join(
        f"location ~ ^/{code}-relative/(.+)$ {{ absolute_redirect off; return {code} /plain/$1; }}\n"
        f"location ~ ^/{code}-absolute/(.+)$ {{ return {code} http://127.0.0.1:{ports['close']}/plain/$1; }}"
        for code in REDIRECTS)
    plain = f"location /plain/ {{ alias {photos}/; }}"
    tls_servers = "\n".join(
        f"server {{ listen 127.0.0.1:{ports[name]} ssl; listen [::1]:{ports[name]} ssl; "
        f"ssl_certificate {cert}; ssl_certificate_key {key}; ssl_protocols {protocol}; {plain} }}"
        for name, protocol in (("tls1.2", "TLSv1.2"), ("tls1.3", "TLSv1.3")))
    return f"""
master_process off;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {folder}/body;
  proxy_temp_path {folder}/proxy;
  fastcgi_temp_path {folder}/fastcgi;
  uwsgi_temp_path {folder}/uwsgi;
  scgi_temp_path {folder}/scgi;
  types {{ image/jpeg jpg; image/png png; }}
  default_type application/octet-stream;
  server {{
    listen 127.0.0.1:{ports['main']};
    {plain}
    location /chunked/ {{ alias {photos}/; {rewritten} }}
    location /ended-by-close/ {{ alias {photos}/; {rewritten} chunked_transfer_encoding off; }}
    location /gzip/ {{ alias {photos}/; gzip_static always; }}
    location ~ ^/deflate/(.+)$ {{ alias {photos}/$1.zz; add_header Content-Encoding deflate; }}
    location /headless/ {{ alias {photos}/; if ($request_method = HEAD) {{ return 405; }} }}
    location /wrong-type/ {{ alias {photos}/; types {{ }} default_type text/html; }}
    location /no-type/ {{ alias {photos}/; types {{ }} default_type ""; }}
    {redirect_locations}
  }}
  server {{ listen 127.0.0.1:{ports['close']}; keepalive_timeout 0; {plain} }}
  server {{ listen [::1]:{ports['ipv6']}; {plain} }}
  {tls_servers}
}}
"""
