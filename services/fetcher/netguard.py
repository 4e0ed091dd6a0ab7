"""Which addresses the fetcher may connect to.

A feed can point anywhere, including at the machine's own admin ports or the
cloud metadata service (server-side request forgery). Every hop is therefore
resolved first and refused when any resolved address is private, loopback,
link-local, multicast, reserved or unspecified, unless the source explicitly
sets ``allow_private`` (everything) or lists the networks it may reach in
``allow_networks`` (e.g. a loopback test server).

The check runs twice: before a request (a clear refusal, no connection made)
and inside the HTTP client's network backend at connect time
(:class:`GuardedBackend`), where the connection goes to the very address that
was checked, so a second DNS answer ("DNS rebinding") cannot swap it. The
policy of the request in progress reaches the backend through a context
variable.
"""

from __future__ import annotations

import asyncio
import contextvars
import ipaddress
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore

from shared.errors import RejectedInput

ALLOWED_SCHEMES = frozenset({"http", "https"})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedAddress(RejectedInput):
    reason = "blocked_address"


@dataclass(frozen=True)
class Target:
    """A URL's host, port and the address to connect to."""

    scheme: str
    host: str
    port: int
    address: str


def is_public(address: IPAddress) -> bool:
    """Whether an address is globally routable (IPv4-mapped and 6to4 IPv6 judged as their IPv4).

    A 6to4 address (``2002::/16``) carries an IPv4 address in its next 32 bits and is
    routed to it by relays: ``2002:7f00:1::`` is 127.0.0.1, so it is as private as that.
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            address = embedded
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def split_target(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL; rejects everything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise RejectedInput(f"invalid URL {url!r}: {exc}", reason="invalid_url") from exc
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise RejectedInput(f"scheme {scheme or '(none)'!r} is not allowed: {url}", reason="blocked_scheme")
    if not parts.hostname:
        raise RejectedInput(f"URL has no host: {url}", reason="invalid_url")
    if parts.username or parts.password:
        raise RejectedInput("URLs with credentials are not fetched", reason="invalid_url")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


@dataclass(frozen=True)
class AddressPolicy:
    """Which non-public addresses a source may reach."""

    allow_private: bool = False
    allow_networks: tuple[str, ...] = ()

    def permits(self, address: IPAddress) -> bool:
        if self.allow_private or is_public(address):
            return True
        return any(address in ipaddress.ip_network(cidr, strict=False) for cidr in self.allow_networks)


PUBLIC_ONLY = AddressPolicy()


#: The address policy of the request being made in this task (read by :class:`GuardedBackend`).
CURRENT_POLICY: contextvars.ContextVar[AddressPolicy] = contextvars.ContextVar("fetch_policy", default=PUBLIC_ONLY)


async def resolve(url: str, *, policy: AddressPolicy = PUBLIC_ONLY) -> Target:
    """Resolve a URL's host and check every address; returns the first address to connect to."""
    scheme, host, port = split_target(url)
    address = await resolve_host(host, port, policy)
    return Target(scheme=scheme, host=host, port=port, address=address)


#: Resolved addresses by (host, port): a poll asks for the same few hosts over and over.
_DNS_CACHE: dict[tuple[str, int], tuple[float, list[IPAddress]]] = {}
DNS_CACHE_SECONDS = 60.0
DNS_CACHE_MAX = 10_000


async def _lookup(host: str, port: int) -> list[IPAddress]:
    """The host's addresses, cached for a minute (every answer is still checked by the caller)."""
    key = (host.lower(), port)
    now = time.monotonic()
    cached = _DNS_CACHE.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise RejectedInput(f"cannot resolve {host}: {exc}", reason="dns_error") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if len(_DNS_CACHE) >= DNS_CACHE_MAX:
        _DNS_CACHE.clear()
    _DNS_CACHE[key] = (now + DNS_CACHE_SECONDS, addresses)
    return addresses


async def resolve_host(host: str, port: int, policy: AddressPolicy) -> str:
    """The first address of ``host``, after checking that the policy permits every one."""
    host = host.strip("[]")
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    addresses = [literal] if literal is not None else await _lookup(host, port)
    if not addresses:
        raise RejectedInput(f"{host} has no address", reason="dns_error")
    bad = [str(a) for a in addresses if not policy.permits(a)]
    if bad:
        raise BlockedAddress(f"{host} resolves to a non-public address ({', '.join(bad)})")
    return str(addresses[0])


class GuardedBackend(httpcore.AnyIOBackend):
    """httpcore's network backend, connecting only to addresses the current policy permits."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        address = await resolve_host(host, port, CURRENT_POLICY.get())
        return await super().connect_tcp(
            address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )
