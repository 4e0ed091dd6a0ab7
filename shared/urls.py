"""URL helpers shared by the services: which query parameters only track the reader.

The fetcher drops them when it canonicalises a URL (``services/fetcher/canonical.py``); the
deduplicator drops them from the URL key by which it recognises a new version of an article.
"""

from __future__ import annotations

TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "__hssc",
        "__hstc",
        "__hsfp",
        "hsctatracking",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "vero_conv",
        "rb_clickid",
        "s_cid",
        "cmpid",
        "ocid",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
        "sr_share",
        "ref_src",
        "ref_url",
        "smid",
        "soc_src",
        "soc_trk",
        "ito",
        "at_medium",
        "at_campaign",
        "wt.mc_id",
        "icid",
        "spm",
        "amp",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hmb_", "ncid")


def is_tracking_param(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)
