"""services.fetcher.netguard: which addresses may be fetched."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from services.fetcher.netguard import AddressPolicy, is_public, split_target
from shared.errors import RejectedInput


def test_address_policy() -> None:
    def addr(text: str) -> Any:
        return ipaddress.ip_address(text)

    for private in (
        "127.0.0.1",
        "10.0.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "0.0.0.0",
        "::ffff:10.0.0.1",
    ):
        assert not is_public(addr(private)), private
    assert is_public(addr("93.184.216.34")) and is_public(addr("2606:4700::1111"))
    assert AddressPolicy(allow_networks=("127.0.0.1/32",)).permits(addr("127.0.0.1"))
    assert not AddressPolicy(allow_networks=("127.0.0.1/32",)).permits(addr("10.0.0.1"))
    assert AddressPolicy(allow_private=True).permits(addr("10.0.0.1"))
    for bad in ("ftp://x.com/", "http:///nohost", "https://user:pw@x.com/", "javascript:alert(1)"):
        with pytest.raises(RejectedInput):
            split_target(bad)
    assert split_target("HTTPS://x.com") == ("https", "x.com", 443)
