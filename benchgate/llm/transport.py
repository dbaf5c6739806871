"""The HTTP layer of live calls: httpx-aiohttp's `AiohttpTransport`, routed and with httpx's error kinds.

aiohttp does the HTTP (its C parser and keep-alive pool); httpx stays the interface, so the
client, its unit tests (httpx.MockTransport) and the retry policy share one set of types. What
the library leaves to us:

- its exception map sends every `ClientConnectionError` to `ConnectTimeout`, so a refused
  connection, a reset and an untrusted certificate would all look like timeouts to the retry
  policy and the limiter: `as_httpx` maps each aiohttp failure to the kind it is;
- the proxy comes from the environment (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`,
  either case), read once; an injected transport is never proxied;
- TLS trust: the system store, or `SSL_CERT_FILE` / `SSL_CERT_DIR` when set;
- a reply is read whole under one deadline and a size cap, so a server trickling bytes or
  sending gigabytes costs a timeout, not the run.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import ssl
import sys
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from benchgate.errors import UsageError
from benchgate.llm.endpoint import shown_url

MAX_REPLY_BYTES = 32 * 1024 * 1024
"""Largest reply read; a chat completion is a few kilobytes."""
KEEPALIVE_S = 4.0
"""Reuse an idle connection only this long: below common server keep-alive timeouts."""
SOCKS = {
    "socks5": ("socks5", False),
    "socks5h": ("socks5", True),
    "socks4": ("socks4", False),
    "socks4a": ("socks4", True),
}
"""Proxy scheme -> (protocol, whether the proxy resolves host names), as curl reads them."""
SOCKS_EXTRA = "pip install 'benchgate[socks]'"

_T = TypeVar("_T")
_TRUSTS_NOTHING = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
"""For plain-http routes: verifying and with no CA, so it could never accept a certificate by mistake."""
_KINDS: tuple[tuple[type[BaseException], type[httpx.TransportError], str], ...] = (
    # Most specific first: aiohttp's classes inherit from one another and from OSError.
    (aiohttp.ClientProxyConnectionError, httpx.ConnectError, "cannot connect to the proxy"),
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout, "connecting timed out"),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout, "no answer within the timeout"),
    (aiohttp.ClientConnectorError, httpx.ConnectError, "cannot connect"),
    (aiohttp.ClientHttpProxyError, httpx.ProxyError, "the proxy refused the tunnel"),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError, "server closed the connection"),
    (aiohttp.ClientPayloadError, httpx.ReadError, "reply body cut short"),
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError, "malformed HTTP answer"),
    (aiohttp.InvalidURL, httpx.UnsupportedProtocol, "unusable URL"),
    (httpx.DecodingError, httpx.RemoteProtocolError, "reply body cannot be decoded"),
    (asyncio.TimeoutError, httpx.ReadTimeout, "no answer within the timeout"),
    (aiohttp.ClientConnectionError, httpx.ReadError, "connection lost"),
    (OSError, httpx.ReadError, "connection lost"),
)


def as_httpx(error: BaseException) -> BaseException:
    """The httpx error the retry policy understands for a failure below httpx.

    httpx-aiohttp raises its own (often wrong) mapping `from` the aiohttp error, so the cause is
    what gets classified. The result is raised `from` the original, so a certificate failure
    stays findable in the chain (`retry.certificate_failure`).
    """
    library_mapped = isinstance(error, httpx.TransportError) and error.__cause__ is not None
    original = error.__cause__ if library_mapped else error
    for kind, target, what in _KINDS:
        if isinstance(original, kind):
            detail = str(original).strip()
            mapped = target(f"{what}: {detail}" if detail else what)
            mapped.__cause__ = original
            return mapped
    return error


def tls_context(environ: Mapping[str, str] = os.environ) -> ssl.SSLContext:
    """Trust the system store, or the PEM bundle / hashed directory SSL_CERT_FILE / SSL_CERT_DIR name."""
    cafile, capath = environ.get("SSL_CERT_FILE") or None, environ.get("SSL_CERT_DIR") or None
    if cafile is None and capath is None:
        context = ssl.create_default_context()
        if not context.cert_store_stats()["x509_ca"]:
            import certifi  # no system store (some containers, python.org macOS builds)

            context.load_verify_locations(certifi.where())
        return context
    try:
        return ssl.create_default_context(cafile=cafile, capath=capath)
    except (OSError, ssl.SSLError) as exc:
        shown = f"SSL_CERT_FILE={cafile}" if cafile else f"SSL_CERT_DIR={capath}"
        raise UsageError(f"{shown}: cannot load certificates ({exc}); point it at a PEM bundle") from None


def environment_proxies(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """`*_proxy` variables by scheme ("http", "https", "all", "no"); lower case wins, as in curl."""
    found: dict[str, str] = {}
    for name, value in environ.items():
        key = name.lower()
        if key.endswith("_proxy") and value.strip() and (name == key or key[:-6] not in found):
            found[key[:-6]] = value.strip()
    return found


def proxy_for(url: httpx.URL, proxies: Mapping[str, str]) -> tuple[str, str] | None:
    """(variable, proxy URL) that applies to `url`, or None for a direct connection."""
    if bypassed(url.host, url.port or (443 if url.scheme == "https" else 80), proxies.get("no", "")):
        return None
    for scheme in (url.scheme, "all"):
        if scheme in proxies:
            value = proxies[scheme]
            return f"{scheme.upper()}_PROXY", value if "://" in value else "http://" + value
    return None


def bypassed(host: str, port: int, no_proxy: str) -> bool:
    """Whether NO_PROXY exempts host:port: `*`, a host or domain suffix (`.corp`), host:port, or a CIDR."""
    host = host.lower().strip("[]")
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if entry == "*":
            return True
        name, _, wanted = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if wanted and wanted != str(port):
            continue
        name = name.strip("[]").removeprefix("*").lstrip(".")
        if not name:
            continue
        if "/" in name or ":" in name or name.replace(".", "").isdigit():
            if _in_network(host, name):
                return True
        elif host == name or host.endswith("." + name):
            return True
    return False


def _in_network(host: str, network: str) -> bool:
    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(network, strict=False)
    except ValueError:
        return False


class Transports:
    """One transport per route: an injected one for everything, else aiohttp direct or via a proxy."""

    def __init__(
        self, injected: httpx.AsyncBaseTransport | None = None, environ: Mapping[str, str] = os.environ
    ) -> None:
        self._injected = injected
        self._proxies = {} if injected is not None else environment_proxies(environ)
        self._environ = environ
        self._tls: ssl.SSLContext | None = None
        self._by_route: dict[tuple[str, str, int | None], httpx.AsyncBaseTransport] = {}
        self._opened: dict[tuple[str | None, bool], httpx.AsyncBaseTransport] = {}

    def for_url(self, url: httpx.URL) -> httpx.AsyncBaseTransport:
        """The transport for this URL; raises UsageError for a proxy this install cannot use."""
        if self._injected is not None:
            return self._injected
        route = (url.scheme, url.host, url.port)
        chosen = self._by_route.get(route)
        if chosen is None:
            proxy = proxy_for(url, self._proxies)
            tls = url.scheme == "https" or (proxy is not None and proxy[1].startswith("https:"))
            key = (proxy[1] if proxy else None, tls)
            if key not in self._opened:
                self._opened[key] = self._open(proxy, self._trust() if tls else _TRUSTS_NOTHING)
            chosen = self._by_route[route] = self._opened[key]
        return chosen

    def _trust(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = tls_context(self._environ)  # loading a CA store costs ~50 ms: only for https
        return self._tls

    def _open(self, proxy: tuple[str, str] | None, tls: ssl.SSLContext) -> httpx.AsyncBaseTransport:
        if proxy is None:
            return ReadWhole(AiohttpTransport(verify=tls, client=lambda: _session(_connector(tls))))
        variable, address = proxy
        try:
            parts = urllib.parse.urlsplit(address)
            if not parts.hostname or (parts.port or 0) < 0:  # .port raises for an invalid one
                raise ValueError("no host")
            scheme = parts.scheme.lower()
            parsed = httpx.Proxy(address) if scheme in ("http", "https") else None
        except (ValueError, httpx.InvalidURL) as exc:
            raise UsageError(f"{variable}: {shown_url(address)} is not a proxy URL ({exc})") from None
        if parsed is not None:
            return ReadWhole(
                AiohttpTransport(verify=tls, proxy=parsed, client=lambda: _session(_connector(tls)))
            )
        if scheme not in SOCKS:
            raise UsageError(
                f"{variable}: {shown_url(address)}: proxies must be http://, https:// or socks5://"
            )
        connector = _socks_connector(variable, address)
        return ReadWhole(AiohttpTransport(verify=tls, client=lambda: _session(connector(address, tls))))

    async def aclose(self) -> None:
        """Close every transport."""
        for transport in [self._injected, *self._opened.values()]:
            if transport is not None:
                await transport.aclose()


class ReadWhole(httpx.AsyncBaseTransport):
    """An aiohttp transport whose answers arrive read whole, under one deadline, as httpx errors."""

    def __init__(self, inner: AiohttpTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send, read the whole body (at most MAX_REPLY_BYTES) and map every failure."""
        timeouts = request.extensions.get("timeout", {})
        total = (timeouts.get("connect") or 0) + (timeouts.get("read") or 120.0)
        # One deadline for the whole exchange instead of aiohttp's per-read timer, which it
        # rearms on every chunk received: about a third of this transport's CPU per request.
        request.extensions["timeout"] = {"connect": timeouts.get("connect")}
        try:
            return await _within(total, self._exchange(request))
        except Exception as exc:
            mapped = as_httpx(exc)
            if mapped is exc:
                raise
            raise mapped from mapped.__cause__

    async def _exchange(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        try:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_REPLY_BYTES:
                raise httpx.RemoteProtocolError(f"reply of {declared} bytes is too large")
            # Counted as it arrives: a chunked answer declares no length.
            chunks, size = [], 0
            async for chunk in stream:
                size += len(chunk)
                if size > MAX_REPLY_BYTES:
                    raise httpx.RemoteProtocolError(f"reply larger than {MAX_REPLY_BYTES} bytes")
                chunks.append(chunk)
        finally:
            await stream.aclose()  # hands the connection back to the pool
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=b"".join(chunks),
            request=request,
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        """Close the aiohttp session."""
        await self._inner.aclose()


def _connector(tls: ssl.SSLContext) -> aiohttp.BaseConnector:
    # limit=0: the adaptive limiter already bounds requests in flight.
    return aiohttp.TCPConnector(ssl=tls, limit=0, keepalive_timeout=KEEPALIVE_S)


def _socks_connector(variable: str, address: str) -> Callable[[str, ssl.SSLContext], aiohttp.BaseConnector]:
    """aiohttp-socks' connector factory; aiohttp itself speaks only HTTP proxies."""
    try:
        from aiohttp_socks import ProxyConnector  # the `socks` extra
    except ImportError:
        raise UsageError(
            f"{variable}={shown_url(address)} is a SOCKS proxy, which needs an extra: {SOCKS_EXTRA}; "
            "or exempt the endpoint with NO_PROXY"
        ) from None

    def connector(url: str, tls: ssl.SSLContext) -> aiohttp.BaseConnector:
        scheme, _, rest = url.partition("://")
        protocol, remote_dns = SOCKS[scheme]
        built: aiohttp.BaseConnector = ProxyConnector.from_url(
            f"{protocol}://{rest}", rdns=remote_dns, ssl=tls, limit=0, keepalive_timeout=KEEPALIVE_S
        )
        return built

    return connector


def _session(connector: aiohttp.BaseConnector) -> aiohttp.ClientSession:
    # No cookie jar: an API call sends none back, and filtering the jar costs every request.
    return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())


async def _within(seconds: float, work: Awaitable[_T]) -> _T:
    """`work` with a deadline; asyncio.timeout (3.11+) avoids wait_for's extra task per request."""
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(seconds):
            return await work
    return await asyncio.wait_for(work, seconds)
