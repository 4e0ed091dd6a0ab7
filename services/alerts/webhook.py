"""POST alerts to a webhook: bounded by a timeout, and a failure is logged, never fatal.

An unreachable chat server must not stop the alert stream (the alert is on the
``alerts`` topic and in the log anyway), so every transport error and non-2xx
answer is logged and swallowed.
"""

from __future__ import annotations

import httpx

from services.alerts.rules import Webhook
from shared.contracts import Alert
from shared.logging import get_logger

log = get_logger(__name__)


async def post_alert(client: httpx.AsyncClient, webhook: Webhook, alert: Alert) -> bool:
    """Send one alert as JSON; True when the receiver answered 2xx."""
    try:
        response = await client.post(
            str(webhook.url),
            content=alert.model_dump_json(),
            headers={"content-type": "application/json"},
            timeout=webhook.timeout_s,
        )
    except httpx.HTTPError as exc:
        log.warning("webhook_failed", alert_id=alert.alert_id, error=f"{type(exc).__name__}: {exc}"[:300])
        return False
    if not response.is_success:
        log.warning("webhook_rejected", alert_id=alert.alert_id, status=response.status_code)
        return False
    return True
