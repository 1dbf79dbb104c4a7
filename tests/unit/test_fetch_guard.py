"""The SSRF guard refuses every non-public address, in any spelling, before any connection is made."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

from core.errors import FetchFailed, FetchRefused
from core.fetching.fetch import check_address, fetch_http, looks_like_image
from core.fetching.ssrf import checked_target, resolve_host
from core.settings import Settings
from tests import factories as make

PUBLIC = "93.184.215.14"
NAMES = {
    "internal.example": ["10.1.2.3"],
    "mixed.example": [PUBLIC, "10.0.0.5"],
    "mixed-v6.example": ["2606:4700:4700::1111", "fd12::1"],
    "metadata.example": ["169.254.169.254"],
    "rebound.example": ["127.0.0.1"],
    "public.example": [PUBLIC],
}


def resolver(host: str, port: int) -> list[str]:
    """DNS as these tests need it: names that resolve to chosen addresses, and nothing else."""
    if host not in NAMES:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return NAMES[host]


@pytest.fixture()
def no_connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Fails the test on any attempt to open a connection; the guard must refuse before that."""
    attempts: list[Any] = []

    def refuse(*args: Any, **_: Any) -> None:
        attempts.append(args)
        pytest.fail(f"a connection was attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


STRICT = Settings(allow_loopback_fetch=False)
LOOPBACK_OK = Settings(allow_loopback_fetch=True)

REFUSED_URLS = [
    "http://127.0.0.1/cat.png",
    "http://127.0.0.2:8080/cat.png",
    "http://0.0.0.0/",
    "http://[::]/",
    "http://[::1]/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://172.31.255.255/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",
    "http://192.0.2.1/",  # documentation range
    "http://198.18.0.1/",  # benchmarking range
    "http://240.0.0.1/",  # reserved
    "http://224.0.0.1/",
    "http://255.255.255.255/",
    "http://[fd00::1]/",
    "http://[fe80::1]/",
    "http://[fec0::1]/",
    "http://[ff02::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[2002:a00:1::1]/",  # 6to4 carrying 10.0.0.1
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 carrying 169.254.169.254
    "http://2130706433/",
    "http://0177.0.0.1/",
    "http://0x7f000001/",
    "http://127.1/",
    "http://internal.example/cat.png",
    "https://metadata.example/",
    "http://rebound.example/",
    "http://mixed.example/",
    "http://mixed-v6.example/",
]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_non_public_address_is_refused_before_connecting(url: str, no_connections: list[Any]) -> None:
    with pytest.raises(
        FetchRefused,
        match=r"is not allowed: .+ (only public internet addresses can be fetched|unusual numeric form)",
    ):
        fetch_http(url, STRICT, resolve=resolver)
    assert no_connections == []


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/",
        "http://169.254.169.254/",
        "http://0.0.0.0/",
        "http://[fd00::1]/",
        "http://internal.example/",
    ],
)
def test_allowing_loopback_never_opens_private_ranges(url: str, no_connections: list[Any]) -> None:
    with pytest.raises(FetchRefused, match="is not allowed"):
        fetch_http(url, LOOPBACK_OK, resolve=resolver)


def test_refusal_names_the_host_and_the_address_it_resolved_to(no_connections: list[Any]) -> None:
    with pytest.raises(FetchRefused) as caught:
        fetch_http("http://mixed.example/cat.png", STRICT, resolve=resolver)
    assert str(caught.value) == (
        "http://mixed.example/cat.png is not allowed: mixed.example resolves to 10.0.0.5, "
        "a private network address; only public internet addresses can be fetched"
    )


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "ftp://example.com/cat.png",
        "gopher://example.com/_GET",
        "data:image/png;base64,iVBORw0KGgo=",
        "s3://bucket/cat.png",
        "//example.com/cat.png",
        "http://user:secret@public.example/cat.png",
        "http:///cat.png",
        "http://public.example:99999/",
    ],
)
def test_other_schemes_and_malformed_urls_are_refused(url: str, no_connections: list[Any]) -> None:
    with pytest.raises(FetchRefused) as caught:
        fetch_http(url, LOOPBACK_OK, resolve=resolver)
    assert url[:20] in str(caught.value)


@pytest.mark.parametrize("form", ["2130706433", "0177.0.0.1", "0x7f000001", "127.1"])
def test_numeric_forms_also_resolve_to_a_refused_loopback_address(form: str) -> None:
    # Belt and braces: were the numeric-form check gone, the resolver's reading is refused too.
    assert resolve_host(form, 80) == ["127.0.0.1"]
    with pytest.raises(FetchRefused, match="loopback"):
        check_address(ipaddress.ip_address("127.0.0.1"), allow_loopback=False)


@pytest.mark.parametrize(
    "address",
    [
        PUBLIC,
        "8.8.8.8",
        "1.1.1.1",
        "2606:4700:4700::1111",
        "2001:4860:4860::8888",
        "::ffff:8.8.8.8",
        "2002:808:808::1",
    ],
)
def test_global_addresses_are_accepted(address: str) -> None:
    check_address(ipaddress.ip_address(address), allow_loopback=False)


@pytest.mark.parametrize("address", ["127.0.0.1", "127.255.0.1", "::1", "::ffff:127.0.0.1"])
def test_loopback_is_accepted_only_when_allowed(address: str) -> None:
    with pytest.raises(FetchRefused, match="loopback"):
        check_address(ipaddress.ip_address(address), allow_loopback=False)
    check_address(ipaddress.ip_address(address), allow_loopback=True)


def test_a_name_that_does_not_resolve_fails_with_a_reason(no_connections: list[Any]) -> None:
    with pytest.raises(FetchFailed, match=r"could not resolve host nowhere\.invalid"):
        fetch_http("http://nowhere.invalid/cat.png", STRICT, resolve=resolver)


def test_a_name_with_no_addresses_fails_with_a_reason(no_connections: list[Any]) -> None:
    with pytest.raises(FetchFailed, match="could not resolve host"):
        fetch_http("http://empty.example/", STRICT, resolve=lambda host, port: [])


def test_the_request_goes_to_the_checked_address_under_the_original_name() -> None:
    target = checked_target("https://Public.Example:8443/a b/c.png?size=2#top", False, resolver)
    assert (target.address, target.host, target.port) == (PUBLIC, "public.example", 8443)
    assert target.host_header == "public.example:8443"
    assert target.path == "/a%20b/c.png?size=2"


def test_default_ports_stay_out_of_the_host_header() -> None:
    assert checked_target("http://public.example/", False, resolver).host_header == "public.example"


def test_international_names_are_resolved_in_their_ascii_form() -> None:
    seen: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        seen.append(host)
        return [PUBLIC]

    checked_target("http://bücher.example/", False, resolve)
    assert seen == ["xn--bcher-kva.example"]


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP", "BMP", "TIFF", "AVIF"])
def test_real_images_are_recognised_by_their_first_bytes(fmt: str) -> None:
    assert looks_like_image(make.image_file(fmt, (16, 16), (200, 40, 40)))


def test_formats_we_do_not_read_are_not_taken_for_ours() -> None:
    assert not looks_like_image(make.image_file("ICO", (16, 16), (200, 40, 40)))


@pytest.mark.parametrize(
    "data", [b"", b"<!DOCTYPE html><html>", b"%PDF-1.7", b"GIF8", b"RIFF\0\0\0\0WAVE", b"{}"]
)
def test_other_bytes_are_not_taken_for_images(data: bytes) -> None:
    assert not looks_like_image(data)
