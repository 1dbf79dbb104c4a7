"""Fetching images for real: a local HTTP(S) server on loopback, and S3 in the emulator over HTTP."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import socket
import ssl
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from core.aws import AwsClients
from core.errors import FetchFailed, FetchRefused, SourceUnavailable, StoreUnavailable
from core.fetching.fetch import fetch_http, fetch_image
from core.fetching.ssrf import KNOWN_NAME
from core.settings import Settings
from tests import factories as make
from tests.hosts import serving

PNG = make.image_file("PNG", (64, 48), (30, 120, 200))
JPEG = make.image_file("JPEG", (64, 48), (30, 120, 200))
LIMIT = 1000  # bytes, for the oversized-body tests
assert len(PNG) < LIMIT and len(JPEG) < LIMIT


class ImageHandler(BaseHTTPRequestHandler):
    """Routes by path; each one a way a real image host behaves (or misbehaves)."""

    protocol_version = "HTTP/1.1"
    server: ImageServer

    def do_GET(self) -> None:
        self.server.requests.append((self.path, self.headers.get("Host")))
        path = urlsplit(self.path).path
        route = next((r for prefix, r in self.routes().items() if path.startswith(prefix)), None)
        if route is None:
            self.send_error(404, "Not Found")
        else:
            route()

    def routes(self) -> dict[str, Any]:
        return {
            "/cat.png": lambda: self.reply(200, PNG, "image/png"),
            "/cat.jpg": lambda: self.reply(200, JPEG, "image/jpeg"),
            "/page.html": lambda: self.reply(200, b"<html><body>no image</body></html>", "text/html"),
            "/big.png": lambda: self.reply(200, PNG + b"\0" * 5000, "image/png"),
            "/endless.png": self.endless,
            "/redirect/": self.redirect_chain,
            "/to": lambda: self.redirect(parse_qs(urlsplit(self.path).query)["url"][0]),
            "/loop": lambda: self.redirect("/loop"),
            "/slow.png": self.slow,
            "/trickle.png": self.trickle,
            "/busy.png": lambda: self.reply(503, b"try later", "text/plain"),
            "/limited.png": lambda: self.reply(429, b"slow down", "text/plain"),
            "/forbidden.png": lambda: self.reply(403, b"no", "text/plain"),
            "/hangs-up.png": self.hang_up,
        }

    def reply(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str, status: int = 302) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def redirect_chain(self) -> None:
        hops = int(self.path.rsplit("/", 1)[1])
        self.redirect(f"/redirect/{hops - 1}" if hops > 1 else "/cat.png", 301 if hops % 2 else 307)

    def endless(self) -> None:
        """No Content-Length: a chunked body that goes on far past any limit."""
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in [PNG[:16]] + [b"\0" * 512] * 2000:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")

    def slow(self) -> None:
        time.sleep(2)
        self.reply(200, PNG, "image/png")

    def trickle(self) -> None:
        """Headers at once, then a byte every 0.1 s: no single read ever times out."""
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(PNG)))
        self.end_headers()
        for index in range(30):
            self.wfile.write(PNG[index : index + 1])
            self.wfile.flush()
            time.sleep(0.1)

    def hang_up(self) -> None:
        """Promises a body, sends half of it and closes the connection: a host that fell over mid-answer."""
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(PNG)))
        self.end_headers()
        self.wfile.write(PNG[: len(PNG) // 2])
        self.close_connection = True

    def log_message(self, *args: Any) -> None:
        pass


class ImageServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # the slow routes outlive their tests; nothing waits for them

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ImageHandler)
        self.requests: list[tuple[str, str | None]] = []

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that give up mid-body (the point of several tests) are not errors here

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"




@pytest.fixture(scope="module")
def images() -> Iterator[ImageServer]:
    server = ImageServer()
    with serving(server):
        yield server


@pytest.fixture()
def connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every address a socket connects to during the test (the connections still happen)."""
    seen: list[str] = []
    real_connect = socket.socket.connect

    def record(sock: socket.socket, address: Any) -> None:
        seen.append(address[0])
        real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", record)
    return seen


def local(**overrides: Any) -> Settings:
    return Settings(**{"allow_loopback_fetch": True, "fetch_timeout_seconds": 5, **overrides})


# --- http: the happy paths ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "fmt", "content_type"), [("/cat.png", "PNG", "image/png"), ("/cat.jpg", "JPEG", "image/jpeg")]
)
def test_an_image_is_fetched_and_decodes(images: ImageServer, path: str, fmt: str, content_type: str) -> None:
    fetched = fetch_http(images.base + path, local())
    image = make.decoded(fetched.data)
    assert (image.format, image.size) == (fmt, (64, 48))
    assert (fetched.content_type, fetched.final_url) == (content_type, images.base + path)


def test_the_request_names_the_host_from_the_url(images: ImageServer) -> None:
    port = images.server_address[1]
    fetch_http(f"http://localhost:{port}/cat.png?host-check", local(), resolve=lambda host, p: ["127.0.0.1"])
    assert ("/cat.png?host-check", f"localhost:{port}") in images.requests


def test_fetch_image_takes_http_urls_through_the_same_guard(images: ImageServer) -> None:
    assert fetch_image(images.base + "/cat.png", AwsClients(local())).data == PNG
    with pytest.raises(FetchRefused):
        fetch_image(images.base + "/cat.png", AwsClients(local(allow_loopback_fetch=False)))


def test_a_redirect_chain_within_the_limit_is_followed(images: ImageServer) -> None:
    fetched = fetch_http(images.base + "/redirect/5", local())
    assert (fetched.data, fetched.final_url) == (PNG, images.base + "/cat.png")


def test_an_absolute_redirect_is_followed(images: ImageServer) -> None:
    fetched = fetch_http(f"{images.base}/to?url={images.base}/cat.jpg", local())
    assert fetched.data == JPEG


# --- http: sources that answer, but not with a usable image -----------------------------------------


def test_a_missing_image_fails_with_the_status(images: ImageServer) -> None:
    with pytest.raises(FetchFailed, match=r"/nothing.png answered 404 Not Found"):
        fetch_http(images.base + "/nothing.png", local())


@pytest.mark.parametrize("path", ["/nothing.png", "/forbidden.png", "/page.html"])
def test_a_source_that_answers_for_good_is_not_retryable(images: ImageServer, path: str) -> None:
    with pytest.raises(FetchFailed) as failed:
        fetch_http(images.base + path, local())
    assert not isinstance(failed.value, SourceUnavailable)


@pytest.mark.parametrize(("path", "answer"), [("/busy.png", "503 Service Unavailable"),
                                              ("/limited.png", "429 Too Many Requests")])
def test_a_source_that_fails_for_now_is_retryable_and_says_so(
    images: ImageServer, path: str, answer: str
) -> None:
    expected = f"{re.escape(path)} answered {answer}; the source may recover$"
    with pytest.raises(SourceUnavailable, match=expected):
        fetch_http(images.base + path, local())


def test_a_connection_the_source_breaks_is_retryable(images: ImageServer) -> None:
    with pytest.raises(SourceUnavailable, match=r"hangs-up.png: the connection broke \(IncompleteRead"):
        fetch_http(images.base + "/hangs-up.png", local())


def test_a_name_dns_cannot_answer_for_now_is_retryable_and_one_that_does_not_exist_is_not() -> None:
    def no_answer(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    def no_such_name(host: str, port: int) -> list[str]:
        if host == KNOWN_NAME:  # DNS works: other names resolve
            return ["203.0.113.7"]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(SourceUnavailable, match=r"could not resolve host images\.example for now"):
        fetch_http("http://images.example/cat.png", local(), resolve=no_answer)
    with pytest.raises(FetchFailed, match=r"resolve host images\.example .*check the URL") as failed:
        fetch_http("http://images.example/cat.png", local(), resolve=no_such_name)
    assert not failed.value.retryable


def test_on_a_machine_whose_dns_resolves_no_name_the_reason_blames_the_dns_not_the_url() -> None:
    """Offline, or behind a resolver that refuses every name, getaddrinfo says each name does not exist
    (EAI_NONAME), as for a typo: a name that must exist tells the two apart."""
    def no_name_at_all(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(SourceUnavailable) as unavailable:
        fetch_http("http://images.example/cat.png", local(), resolve=no_name_at_all)
    reason = str(unavailable.value)
    assert "could not resolve host images.example, nor any other name" in reason
    assert "DNS is not answering, so the URL may be fine" in reason and "check the URL" not in reason
    assert unavailable.value.retryable


def test_a_web_page_is_not_an_image(images: ImageServer) -> None:
    expected = "is not an image: it starts with '<html><body>no i' (Content-Type text/html)"
    with pytest.raises(FetchFailed, match=re.escape(expected)):
        fetch_http(images.base + "/page.html", local())


def test_a_body_over_the_limit_is_refused_from_its_content_length(images: ImageServer) -> None:
    with pytest.raises(FetchFailed, match=r"is 5,\d{3} bytes; the limit is 1,000 bytes \(MAX_IMAGE_BYTES\)"):
        fetch_http(images.base + "/big.png", local(max_image_bytes=LIMIT))


def test_a_streamed_body_over_the_limit_is_cut_off(images: ImageServer) -> None:
    started = time.monotonic()
    with pytest.raises(FetchFailed, match="sends more than 1,000 bytes"):
        fetch_http(images.base + "/endless.png", local(max_image_bytes=LIMIT))
    assert time.monotonic() - started < 1


def test_too_many_redirects_fail(images: ImageServer) -> None:
    with pytest.raises(FetchFailed, match="redirected more than 5 times"):
        fetch_http(images.base + "/redirect/6", local())
    with pytest.raises(FetchFailed, match="redirected more than 5 times"):
        fetch_http(images.base + "/loop", local())


@pytest.mark.parametrize("path", ["/slow.png", "/trickle.png"])
def test_a_slow_source_fails_at_the_overall_deadline(images: ImageServer, path: str) -> None:
    started = time.monotonic()
    with pytest.raises(SourceUnavailable,
                       match=r"did not send the image within 0.5 s \(FETCH_TIMEOUT_SECONDS\).*may recover$"):
        fetch_http(images.base + path, local(fetch_timeout_seconds=0.5))
    assert time.monotonic() - started < 1


def test_a_closed_port_fails_with_a_reason() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(SourceUnavailable, match=r"could not connect .*; the source may recover$"):
        fetch_http(f"http://127.0.0.1:{port}/cat.png", local())


# --- http: redirects into the private network -----------------------------------------------------


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[::ffff:10.0.0.1]/",
        "file:///etc/passwd",
    ],
)
def test_a_redirect_to_a_private_address_is_refused_without_connecting(
    images: ImageServer, connections: list[str], location: str
) -> None:
    with pytest.raises(FetchRefused, match=f"^{re.escape(images.base)}/to.* redirects to .* is not allowed"):
        fetch_http(f"{images.base}/to?url={location}", local())
    assert connections == ["127.0.0.1"]


# --- https: connect to the checked address, verify the name ---------------------------------------

TlsServer = tuple[ImageServer, Path, list[str | None]]  # the server, its CA, the SNI names it saw


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A CA, and a server certificate it signs for localhost and 127.0.0.1."""
    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fetch test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


@pytest.fixture(scope="module")
def tls_images(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    """The same routes over TLS; yields the server, the CA to trust, and the SNI names it was sent."""
    ca, cert, key = make_certificates(tmp_path_factory.mktemp("tls"))
    server_names: list[str | None] = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)
    server = ImageServer()
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with serving(server):
        yield server, ca, server_names


def test_https_connects_to_the_checked_address_and_verifies_the_name(
    tls_images: TlsServer, monkeypatch: pytest.MonkeyPatch, connections: list[str]
) -> None:
    server, ca, server_names = tls_images
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))  # OpenSSL's default trust store, read per context
    url = f"https://localhost:{server.server_address[1]}/cat.png"
    assert fetch_http(url, local(), resolve=lambda host, port: ["127.0.0.1"]).data == PNG
    assert (connections, server_names[-1]) == (["127.0.0.1"], "localhost")


def test_https_refuses_a_certificate_for_another_name(
    tls_images: TlsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The certificate is valid for 127.0.0.1, where we connect, but not for the name in the URL."""
    server, ca, _ = tls_images
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    url = f"https://images.example:{server.server_address[1]}/cat.png"
    with pytest.raises(FetchFailed, match="certificate"):
        fetch_http(url, local(), resolve=lambda host, port: ["127.0.0.1"])


def test_https_refuses_an_untrusted_certificate(tls_images: TlsServer) -> None:
    server, _, _ = tls_images
    url = f"https://localhost:{server.server_address[1]}/cat.png"
    with pytest.raises(FetchFailed, match="certificate"):
        fetch_http(url, local(), resolve=lambda host, port: ["127.0.0.1"])


# --- s3:// through the emulator ---------------------------------------------------------------------


def test_an_s3_object_is_fetched(aws: AwsClients) -> None:
    url = make.image_in_bucket(aws, "cat.jpg", JPEG)
    fetched = fetch_image(url, aws)
    assert (fetched.data, fetched.content_type, fetched.final_url) == (JPEG, "image/jpeg", url)


def test_an_s3_key_keeps_characters_a_url_would_split_on(aws: AwsClients) -> None:
    url = make.image_in_bucket(aws, "odd/name with space?v=1#2.png", PNG, "image/png")
    assert fetch_image(url, aws).data == PNG


def test_a_missing_s3_key_fails_with_a_reason(aws: AwsClients) -> None:
    url = f"s3://{aws.settings.bucket_name}/nothing/here.png"
    with pytest.raises(FetchFailed, match=re.escape(f"{url} does not exist (NoSuchKey)")):
        fetch_image(url, aws)


def test_a_bucket_not_allowed_is_refused_before_s3_is_asked_naming_the_setting(aws: AwsClients) -> None:
    asked: list[str] = []
    aws.s3.meta.events.register("before-call.s3.GetObject", lambda **_: asked.append("GetObject"))
    refused = r"'other-bucket' is not an allowed source .*ALLOWED_SOURCE_BUCKETS"
    with pytest.raises(FetchRefused, match=refused):
        fetch_image("s3://other-bucket/cat.png", aws)
    assert asked == []


def test_an_allowed_bucket_beyond_our_own_is_read(aws: AwsClients) -> None:
    aws.s3.create_bucket(Bucket="legacy-images")
    aws.s3.put_object(Bucket="legacy-images", Key="cat.png", Body=PNG)
    both = AwsClients(aws.settings.model_copy(
        update={"allowed_source_buckets_setting": f"{aws.settings.bucket_name}, legacy-images"}))
    assert fetch_image("s3://legacy-images/cat.png", both).data == PNG
    assert fetch_image(make.image_in_bucket(aws, "ours.png", PNG, "image/png"), both).data == PNG


def test_a_missing_allowed_s3_bucket_fails_with_a_reason(aws: AwsClients) -> None:
    url = "s3://no-such-bucket-here/cat.png"
    only_it = {"allowed_source_buckets_setting": "no-such-bucket-here"}
    allowed = AwsClients(aws.settings.model_copy(update=only_it))
    with pytest.raises(FetchFailed, match=re.escape(f"{url} does not exist (NoSuchBucket)")):
        fetch_image(url, allowed)


@pytest.mark.parametrize("bucket", ["Invalid_Bucket!", "bucket:80"])
def test_an_allowed_bucket_name_s3_refuses_is_the_events_fault(aws: AwsClients, bucket: str) -> None:
    allowed = AwsClients(aws.settings.model_copy(update={"allowed_source_buckets_setting": bucket}))
    with pytest.raises(FetchFailed, match="not a valid S3 address"):
        fetch_image(f"s3://{bucket}/cat.jpg", allowed)


def test_an_s3_object_over_the_limit_is_refused(aws: AwsClients) -> None:
    url = make.image_in_bucket(aws, "big.png", PNG + b"\0" * 5000, "image/png")
    small = AwsClients(Settings(max_image_bytes=LIMIT))
    with pytest.raises(FetchFailed, match=r"is 5,\d{3} bytes; the limit is 1,000 bytes"):
        fetch_image(url, small)


def test_an_s3_url_without_a_key_is_refused(aws: AwsClients) -> None:
    with pytest.raises(FetchRefused, match="s3://bucket/key"):
        fetch_image(f"s3://{aws.settings.bucket_name}/", aws)


def client_error(code: str, status: int) -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, "GetObject")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (client_error("SlowDown", 503), StoreUnavailable),
        (client_error("InternalError", 500), StoreUnavailable),
        (client_error("ServiceUnavailable", 503), StoreUnavailable),
        (EndpointConnectionError(endpoint_url="http://s3"), StoreUnavailable),
        (ReadTimeoutError(endpoint_url="http://s3"), StoreUnavailable),
        (ConnectTimeoutError(endpoint_url="http://s3"), StoreUnavailable),
        (client_error("AccessDenied", 403), FetchFailed),
        (client_error("403", 403), FetchFailed),
        (client_error("404", 404), FetchFailed),
        (client_error("InvalidObjectState", 403), FetchFailed),
    ],
)
def test_s3_failures_are_split_into_the_events_fault_and_the_stores(
    aws: AwsClients, error: Exception, expected: type
) -> None:
    """S3 itself failing is retried (StoreUnavailable); an unusable object is the event's fault."""
    def fail(**_: Any) -> None:
        raise error

    aws.s3.meta.events.register("before-call.s3.GetObject", fail)
    url = f"s3://{aws.settings.bucket_name}/k.png"
    with pytest.raises(StoreUnavailable if expected is StoreUnavailable else FetchFailed) as raised:
        fetch_image(url, aws)
    assert type(raised.value) is expected
    assert url in str(raised.value)
