"""Proxy selection, TLS trust, aiohttp's failures as httpx error kinds (over sockets: test_hostile.py)."""

from __future__ import annotations

import asyncio
import ssl
import sys
from pathlib import Path

import aiohttp
import httpx
import pytest

from benchgate.errors import UsageError
from benchgate.llm.transport import (
    Transports,
    as_httpx,
    bypassed,
    environment_proxies,
    proxy_for,
    tls_context,
)
from benchgate.retry import certificate_failure, error_kind, is_retryable

PROXIES = {
    "http": "http://proxy:3128",
    "all": "socks5://socks:1080",
    "no": "localhost,.corp,10.0.0.0/8,h:8443",
}


def test_proxy_variables_either_case_lower_wins() -> None:
    found = environment_proxies(
        {
            "HTTPS_PROXY": "http://upper",
            "https_proxy": "http://lower",
            "ALL_PROXY": "socks5://s",
            "NO_PROXY": "x",
        }
    )
    assert found == {"https": "http://lower", "all": "socks5://s", "no": "x"}
    assert environment_proxies({"http_proxy": "  ", "PATH": "/bin"}) == {}


@pytest.mark.parametrize(
    ("url", "chosen"),
    [
        ("http://llm:8000/v1", ("HTTP_PROXY", "http://proxy:3128")),
        ("https://llm/v1", ("ALL_PROXY", "socks5://socks:1080")),
        ("http://localhost:8000", None),
        ("http://gpu.corp:8000", None),
        ("http://corp:8000", None),
        ("http://notcorp:8000", ("HTTP_PROXY", "http://proxy:3128")),
        ("http://10.1.2.3:8000", None),
        ("http://11.1.2.3:8000", ("HTTP_PROXY", "http://proxy:3128")),
        ("https://h:8443", None),
        ("https://h:443", ("ALL_PROXY", "socks5://socks:1080")),
    ],
)
def test_the_proxy_for_a_url_follows_scheme_all_and_no_proxy(
    url: str, chosen: tuple[str, str] | None
) -> None:
    assert proxy_for(httpx.URL(url), PROXIES) == chosen


def test_a_proxy_without_scheme_is_http_and_a_star_bypasses_everything() -> None:
    assert proxy_for(httpx.URL("http://h"), {"http": "proxy:3128"}) == ("HTTP_PROXY", "http://proxy:3128")
    assert bypassed("anything", 80, "*")
    assert bypassed("::1", 80, "[::1]") and bypassed("::1", 80, "::1/128")
    assert not bypassed("h", 80, "")


def test_an_injected_transport_is_never_proxied(monkeypatch: pytest.MonkeyPatch) -> None:
    mock = httpx.MockTransport(lambda request: httpx.Response(200))
    environ = {"HTTP_PROXY": "http://127.0.0.1:9", "ALL_PROXY": "socks5://127.0.0.1:9"}
    assert Transports(mock, environ).for_url(httpx.URL("http://llm:8000/v1")) is mock


def test_a_socks_proxy_without_the_extra_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "aiohttp_socks", None)  # import fails as if not installed
    transports = Transports(environ={"ALL_PROXY": "socks5://user:pw@127.0.0.1:1080"})
    with pytest.raises(UsageError) as caught:
        transports.for_url(httpx.URL("http://llm:8000/v1"))
    message = str(caught.value)
    assert message.startswith("ALL_PROXY=socks5://127.0.0.1:1080 is a SOCKS proxy")
    assert "pip install 'benchgate[socks]'" in message and "pw" not in message


@pytest.mark.parametrize("proxy", ["ftp://proxy:21", "http://[bad"])
def test_an_unusable_proxy_url_is_a_usage_error(proxy: str) -> None:
    with pytest.raises(UsageError, match="HTTP_PROXY"):
        Transports(environ={"HTTP_PROXY": proxy}).for_url(httpx.URL("http://llm/v1"))


def test_tls_trust_honours_ssl_cert_file_and_names_it_when_unusable(tmp_path: Path) -> None:
    assert tls_context({}).cert_store_stats()["x509_ca"] > 0
    bad = tmp_path / "missing.pem"
    with pytest.raises(UsageError, match=f"SSL_CERT_FILE={bad}: cannot load certificates"):
        tls_context({"SSL_CERT_FILE": str(bad)})


@pytest.mark.parametrize(
    ("raised", "mapped", "kind"),
    [
        (aiohttp.ServerDisconnectedError(), httpx.RemoteProtocolError, "reset"),
        (aiohttp.ClientConnectionResetError("reset by peer"), httpx.ReadError, "reset"),
        (aiohttp.ClientOSError(104, "Connection reset by peer"), httpx.ReadError, "reset"),
        (aiohttp.ClientPayloadError("cut"), httpx.ReadError, "reset"),
        (aiohttp.SocketTimeoutError("slow"), httpx.ReadTimeout, "timeout"),
        (aiohttp.ConnectionTimeoutError("slow"), httpx.ConnectTimeout, "timeout"),
        (asyncio.TimeoutError(), httpx.ReadTimeout, "timeout"),
        (ConnectionRefusedError(111, "refused"), httpx.ReadError, "reset"),
    ],
)
def test_aiohttp_failures_map_to_the_kinds_retries_count(
    raised: BaseException, mapped: type[Exception], kind: str
) -> None:
    # As httpx-aiohttp raises them: its own (often wrong) class, from the aiohttp error.
    wrapped = httpx.ConnectTimeout("as mapped by httpx-aiohttp")
    wrapped.__cause__ = raised
    for error in (raised, wrapped):
        result = as_httpx(error)
        assert type(result) is mapped
        assert is_retryable(result) and error_kind(result) == kind


def test_a_certificate_failure_is_found_in_the_chain_and_never_retried() -> None:
    rejected = ssl.SSLCertVerificationError(1, "certificate verify failed")
    rejected.verify_message = "self-signed certificate"
    error = httpx.ConnectError("cannot connect")
    error.__cause__ = rejected
    assert certificate_failure(error) is rejected
    assert not is_retryable(error) and error_kind(error) == "tls"
    assert certificate_failure(httpx.ConnectError("refused")) is None
