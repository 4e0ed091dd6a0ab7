"""The alerts stage: events → watch rules → alerts topic, log and optional webhook.

Consumes ``events`` as its own consumer group (``wirewatch-alerts``), so it sees
every event update independently of any other consumer. The fired state is
keyed by (rule, event) and holds the highest outlet threshold already alerted
(a changelog-backed table in a worker, restored on restart).
"""

from __future__ import annotations

from collections.abc import MutableMapping

import httpx

from services.alerts.logic import fired_key, new_alerts
from services.alerts.rules import AlertsConfig, load_config
from services.alerts.settings import AlertsSettings
from services.alerts.webhook import post_alert
from shared.contracts import Alert, EventUpdate, Message
from shared.logging import get_logger
from shared.stage import BuildContext, DeadLetterPolicy, Stage, StateTable, Step

log = get_logger(__name__)


class Watcher:
    """Matches each event update against the rules; remembers what it has fired."""

    def __init__(self, config: AlertsConfig, fired: MutableMapping[str, int]) -> None:
        self.config = config
        self.fired = fired
        self._client: httpx.AsyncClient | None = None

    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(follow_redirects=False)
        return self._client

    async def __call__(self, event: EventUpdate) -> list[Message]:
        alerts = new_alerts(self.config.rules, event, self.fired)
        for alert in alerts:
            self.fired[fired_key(alert.rule, alert.event_id)] = alert.threshold
            log.info(
                "alert",
                rule=alert.rule,
                event_id=alert.event_id,
                revision=alert.event_revision,
                threshold=alert.threshold,
                outlets=alert.outlets,
                title=alert.title,
            )
            if self.config.webhook is not None:
                await post_alert(self.client(), self.config.webhook, alert)
        return list(alerts)


def build(settings: AlertsSettings, context: BuildContext) -> Step:
    config = load_config(settings.alerts_file)  # a bad rules file stops the service at start
    log.info("alerts_rules", file=str(settings.alerts_file), rules=[r.name for r in config.rules])
    return Step(Watcher(config, context.state))


STAGE = Stage(
    name="alerts",
    settings=AlertsSettings,
    source=EventUpdate,
    outputs=(Alert,),
    build=build,
    dead_letters=DeadLetterPolicy(service="alerts"),
    state=StateTable("alerts-fired", help="highest outlet threshold alerted per (rule, event)", default=int),
)
