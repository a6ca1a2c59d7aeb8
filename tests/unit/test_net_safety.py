"""SSRF guard: which URLs may be fetched, with a fake resolver (no DNS) and real numeric forms."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from clipforge.net_safety import (
    MSG_NO_HOST,
    MSG_PRIVATE,
    MSG_SCHEME,
    UnsafeURLError,
    address_policy,
    check_url,
    is_public_address,
    unsafe_reason,
)

DNS = {
    "public.example": ["93.184.215.14"],
    "dual.example": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
    "mixed.example": ["93.184.215.14", "10.0.0.5"],  # one bad answer poisons the name
    "internal.example": ["192.168.1.10"],
    "v6local.example": ["fd12:3456::1"],
    "mapped.example": ["::ffff:127.0.0.1"],
    "empty.example": [],
}


def resolver(host: str, port: int) -> list[str]:
    if host not in DNS:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return DNS[host]


def no_dns(host: str, port: int) -> list[str]:
    raise AssertionError(f"IP literal {host!r} must not go to the resolver")


UNSAFE_ADDRESSES = [
    "127.0.0.1",
    "127.255.255.254",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.0.1",
    "169.254.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "100.100.100.200",
    "0.0.0.0",
    "0.1.2.3",
    "224.0.0.1",
    "239.255.255.250",
    "255.255.255.255",
    "240.0.0.1",
    "198.18.0.1",
    "192.0.0.170",
    "192.0.2.1",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd00:ec2::254",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::127.0.0.1",  # IPv4-compatible (deprecated) form
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2001:db8::1",  # documentation
]

PUBLIC_ADDRESSES = [
    "93.184.215.14",
    "8.8.8.8",
    "1.1.1.1",
    "172.32.0.1",  # just outside 172.16/12
    "100.128.0.1",  # just outside 100.64/10
    "2606:4700:4700::1111",
    "2a00:1450:4001:82b::200e",
    "::ffff:8.8.8.8",
    "2002:808:808::1",  # 6to4 of 8.8.8.8
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
]


@pytest.mark.parametrize("address", UNSAFE_ADDRESSES)
def test_unsafe_addresses(address: str) -> None:
    ip = ipaddress.ip_address(address)
    assert not is_public_address(ip)
    assert unsafe_reason(ip)
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(UnsafeURLError) as info:
        check_url(f"http://{host}/video.mp4", resolver=no_dns)
    assert str(info.value) == MSG_PRIVATE


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_public_addresses(address: str) -> None:
    ip = ipaddress.ip_address(address)
    assert is_public_address(ip), unsafe_reason(ip)
    host = f"[{address}]" if ":" in address else address
    resolved = check_url(f"https://{host}:8443/v.mp4", resolver=no_dns)
    assert resolved.addresses == (str(ip),)
    assert resolved.port == 8443


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",
        "http://0x7f.1/",
        "http://0x7f000001/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://[::1]/",
        "http://[0:0:0:0:0:ffff:7f00:1]/",
        "http://0/",
        "http://localhost/",
        "http://LOCALHOST./",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/",
        "http://100.100.100.200/",
    ],
)
def test_numeric_and_local_forms_with_real_resolution(url: str) -> None:
    with pytest.raises(UnsafeURLError) as info:
        check_url(url)  # the system resolver: no DNS server needed for these
    assert str(info.value) == MSG_PRIVATE


def test_numeric_forms_do_not_depend_on_the_resolver() -> None:
    for url in ("http://2130706433/", "http://0x7f.1/", "http://127.1/"):
        with pytest.raises(UnsafeURLError, match="private"):
            check_url(url, resolver=no_dns)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/a.mp4",
        "gopher://example.com:70/_x",
        "data:text/plain,hello",
        "javascript:alert(1)",
        "dict://127.0.0.1:6379/info",
        "ws://example.com/",
        "/relative/path.mp4",
        "example.com/video.mp4",
        "",
    ],
)
def test_schemes_refused(url: str) -> None:
    with pytest.raises(UnsafeURLError) as info:
        check_url(url, resolver=resolver)
    assert str(info.value) == MSG_SCHEME


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http:///path", MSG_NO_HOST),
        ("http://:80/", MSG_NO_HOST),
        ("http://public.example:notaport/", "not a valid URL"),
        ("http://[::1/", "not a valid URL"),
        ("http://unknown.example/", "could not be found"),
        ("http://empty.example/", "could not be found"),
        ("http://internal.example/", MSG_PRIVATE),
        ("http://mixed.example/", MSG_PRIVATE),
        ("http://v6local.example/", MSG_PRIVATE),
        ("http://mapped.example/", MSG_PRIVATE),
        ("http://" + "a" * 300 + ".example/", "invalid host name"),
    ],
)
def test_refusals(url: str, message: str) -> None:
    with pytest.raises(UnsafeURLError, match=message.replace(".", r"\.")):
        check_url(url, resolver=resolver)


def test_unsafe_url_error_is_value_error() -> None:
    assert issubclass(UnsafeURLError, ValueError)


def test_public_names_pass_and_return_every_address() -> None:
    resolved = check_url("https://user:pw@DUAL.example/watch?v=1#t", resolver=resolver)
    assert resolved.host == "dual.example"
    assert resolved.scheme == "https" and resolved.port == 443
    assert resolved.addresses == ("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c")
    assert resolved.host_header == "dual.example"
    plain = check_url("http://public.example:8080/v.mp4", resolver=resolver)
    assert plain.host_header == "public.example:8080"
    v6 = check_url("http://[2606:4700:4700::1111]/", resolver=no_dns)
    assert v6.host_header == "[2606:4700:4700::1111]"


def test_idna_host_is_encoded_before_resolving() -> None:
    seen: list[str] = []

    def record(host: str, port: int) -> list[str]:
        seen.append(host)
        return ["93.184.215.14"]

    check_url("http://bücher.example/", resolver=record)
    assert seen == ["xn--bcher-kva.example"]


def test_allow_private_still_blocks_metadata() -> None:
    assert check_url("http://127.0.0.1:8000/x", allow_private=True).addresses == ("127.0.0.1",)
    assert check_url("http://internal.example/", allow_private=True, resolver=resolver)
    for url in ("http://169.254.169.254/", "http://[fd00:ec2::254]/", "http://[::ffff:a9fe:a9fe]/"):
        with pytest.raises(UnsafeURLError):
            check_url(url, allow_private=True)
    allow = address_policy(True)
    assert not allow(ipaddress.ip_address("100.100.100.200"))


def test_injected_policy_overrides_default() -> None:
    only_loopback = {ipaddress.ip_address("127.0.0.1")}
    resolved = check_url(
        "http://127.0.0.1/", resolver=no_dns, address_allowed=lambda ip: ip in only_loopback
    )
    assert resolved.addresses == ("127.0.0.1",)
    with pytest.raises(UnsafeURLError):
        check_url(
            "http://8.8.8.8/", resolver=no_dns, address_allowed=lambda ip: ip in only_loopback
        )
