"""Alerts wiring: events → watch rules → alerts topic, log and optional webhook.

Consumes ``events`` as its own consumer group (``wirewatch-alerts``), so it sees
every event update independently of any other consumer. The fired state is a
faust Table (changelog-backed, restored on restart), keyed by (rule, event) and
holding the highest outlet threshold already alerted.
"""

from __future__ import annotations

from typing import Any

import faust
import httpx

from services.alerts.logic import fired_key, new_alerts
from services.alerts.rules import AlertsConfig, load_config
from services.alerts.settings import AlertsSettings
from services.alerts.webhook import post_alert
from shared.contracts import Alert, EventUpdate, Message
from shared.logging import get_logger
from shared.streaming import Outputs, make_app, run_stage, topic_for

SERVICE = "alerts"
settings = AlertsSettings()
app = make_app(SERVICE, settings)
config: AlertsConfig = load_config(settings.alerts_file)  # a bad rules file stops the service at start
source = topic_for(app, EventUpdate)
outputs = Outputs(app, [Alert])
fired = app.Table("alerts-fired", default=int, key_type=str, value_type=int)
log = get_logger(__name__)
log.info("alerts_rules", file=str(settings.alerts_file), rules=[r.name for r in config.rules])
_client: httpx.AsyncClient | None = None


def client() -> httpx.AsyncClient:
    global _client
    if _client is None:
        _client = httpx.AsyncClient(follow_redirects=False)
    return _client


async def handle(event: EventUpdate) -> list[Message]:
    alerts = new_alerts(config.rules, event, fired)
    for alert in alerts:
        fired[fired_key(alert.rule, alert.event_id)] = alert.threshold
        log.info(
            "alert",
            rule=alert.rule,
            event_id=alert.event_id,
            revision=alert.event_revision,
            threshold=alert.threshold,
            outlets=alert.outlets,
            title=alert.title,
        )
        if config.webhook is not None:
            await post_alert(client(), config.webhook, alert)
    return list(alerts)


@app.agent(source)
async def watch_events(stream: faust.StreamT[Any]) -> None:
    await run_stage(SERVICE, outputs, handle, stream.events(), EventUpdate)
