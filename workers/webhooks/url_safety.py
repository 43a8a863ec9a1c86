"""Which webhook URLs may be called: http(s) only, and never a host that resolves to a
loopback, private, link-local, metadata or otherwise non-public address (SSRF).

The check runs when a URL is saved and again at every connection: `VettedNetworkBackend`
resolves the host itself, checks every address and connects to a checked one, so a DNS
answer that changes between the check and the connection (DNS rebinding) cannot slip in.
TLS still verifies the certificate against the URL's host name.
"""

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
ALLOWED_SCHEMES = ("http", "https")


class UnsafeUrl(ValueError):
    """The URL may not be called; the message says why (never secret)."""


class UnsafeAddress(httpcore.ConnectError):
    """Raised at connection time: httpx reports it as a `ConnectError` with this message."""


@dataclass(frozen=True)
class Target:
    host: str
    port: int


def parse_target(url: str) -> Target:
    """The host and port of an http(s) URL, or `UnsafeUrl`."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeUrl(f"not a valid URL: {error}") from None
    if parts.scheme not in ALLOWED_SCHEMES:
        raise UnsafeUrl("only http and https URLs are allowed")
    if not parts.hostname:
        raise UnsafeUrl("the URL has no host")
    return Target(parts.hostname, port or (443 if parts.scheme == "https" else 80))


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (tests replace this to fake DNS answers)."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeUrl(f"the host {host!r} does not resolve ({error})") from None
    return list(dict.fromkeys(ipaddress.ip_address(answer[4][0]) for answer in answers))


def forbidden_reason(address: IPAddress) -> str | None:
    """Why an address is off limits, or None for a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return forbidden_reason(address.ipv4_mapped)
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:  # includes the cloud metadata address 169.254.169.254
        return "a link-local (metadata) address"
    if address.is_private:
        return "a private address"
    if address.is_multicast or not address.is_global:
        return "a non-public address"
    return None


def vetted_addresses(host: str, port: int, *, allow_private: bool) -> list[IPAddress]:
    """The addresses to connect to; `UnsafeUrl` if any of them is forbidden."""
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        addresses = resolve(host, port)
    if not addresses:
        raise UnsafeUrl(f"the host {host!r} does not resolve")
    if not allow_private:
        for address in addresses:
            reason = forbidden_reason(address)
            if reason is not None:
                raise UnsafeUrl(f"the host {host!r} resolves to {reason} ({address})")
    return addresses


def check_url(url: str, *, allow_private: bool) -> None:
    """At save time: `UnsafeUrl` unless the URL may be called now."""
    target = parse_target(url)
    vetted_addresses(target.host, target.port, allow_private=allow_private)


class VettedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Connects only to addresses `vetted_addresses` allows, resolved at connection time."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await asyncio.to_thread(
                vetted_addresses, host, port, allow_private=self.allow_private
            )
        except UnsafeUrl as error:
            raise UnsafeAddress(f"refused: {error}") from None
        last_error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as error:
                last_error = error
        assert last_error is not None
        raise last_error

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class VettedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with `VettedNetworkBackend` and no proxy from the environment."""

    def __init__(self, *, allow_private: bool, limits: httpx.Limits) -> None:
        super().__init__(trust_env=False, limits=limits)
        # httpx exposes no option for the network backend: rebuild its pool with ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=VettedNetworkBackend(allow_private=allow_private),
        )
