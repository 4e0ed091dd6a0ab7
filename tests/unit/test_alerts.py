"""Alerts logic: rule files, matching, fired state, webhook — no Kafka."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from services.alerts.logic import contains_phrase, count_outlets, fired_key, match_rule, new_alerts
from services.alerts.rules import Rule, load_config, parse_config
from services.alerts.webhook import post_alert
from shared.contracts import Alert, EntityKind, EventEntity, EventUpdate, SourceRef
from shared.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def event(
    *,
    title: str = "Biden and Putin to talk by phone on Ukraine crisis",
    event_type: str = "phone_call",
    outlets: tuple[str | None, ...] = ("nytimes.com",),
    merged_into: str | None = None,
) -> EventUpdate:
    return EventUpdate(
        event_id="ev-1",
        revision=3,
        title=title,
        event_type=event_type,
        actors=[
            EventEntity(id="person:joe-biden", name="Joe Biden", kind=EntityKind.PERSON),
            EventEntity(id="person:vladimir-putin", name="Vladimir Putin", kind=EntityKind.PERSON),
        ],
        places=[EventEntity(id="place:ukraine", name="Ukraine", kind=EntityKind.PLACE)],
        sources=[SourceRef(article_id=f"a{i}", outlet=o, url=f"https://x{i}.example/n") for i, o in enumerate(outlets)],
        merged_into=merged_into,
    )


def rule(**kwargs: object) -> Rule:
    return Rule.model_validate({"name": "r", **kwargs})


def test_example_file_is_valid() -> None:
    config = load_config(REPO / "deploy" / "alerts.example.toml")
    assert config.rules and config.webhook is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[[rules]]\nname = 'x'\nkeywords = ['a']\n[[rules]]\nname = 'x'\nkeywords = ['b']\n", "unique"),
        ("[[rules]]\nname = 'a|b'\nkeywords = ['a']\n", "rules.0.name"),
        ("[[rules]]\nname = 'x'\nmin_outlets = 0\n", "min_outlets"),
        ("[[rules]]\nname = 'x'\nkeyword = ['typo']\n", "keyword"),
        ("[webhook]\nurl = 'not a url'\n", "webhook.url"),
        ("rules = [", "not valid TOML"),
    ],
)
def test_bad_files_are_config_errors_naming_the_field(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "alerts.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=problem):
        load_config(path)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "nope.toml")


def test_a_rule_without_conditions_matches_every_event() -> None:
    config = parse_config({"rules": [{"name": "all"}]})
    assert match_rule(config.rules[0], event()) is not None


def test_terms_are_cleaned_and_thresholds_ordered() -> None:
    r = rule(keywords=[" phone  call ", "Phone call", ""], min_outlets=3, escalate_at=[10, 2, 5, 5])
    assert r.keywords == ["phone call"]
    assert r.thresholds == [3, 5, 10]


def test_whole_word_phrases() -> None:
    assert contains_phrase("Biden and Putin TO TALK by phone", "to  talk")
    assert not contains_phrase("the output of the computation", "put")
    assert not contains_phrase("anything", "   ")


@pytest.mark.parametrize(
    ("conditions", "matches"),
    [
        ({"entities": ["Putin"]}, True),
        ({"entities": ["person:vladimir-putin", "Biden"]}, True),
        ({"entities": ["Putin", "Zelensky"]}, False),  # all entities must be involved
        ({"entities": ["Ukraine"]}, True),  # places count
        ({"entities": ["Vlad"]}, False),  # not a word of the name
        ({"keywords": ["sanctions", "phone"]}, True),  # any keyword
        ({"keywords": ["sanctions"]}, False),
        ({"event_types": ["meeting", "PHONE_CALL"]}, True),
        ({"event_types": ["meeting"]}, False),
        ({"entities": ["Putin"], "keywords": ["sanctions"]}, False),  # every condition must hold
        ({"min_outlets": 2}, False),
    ],
)
def test_conditions(conditions: dict[str, object], matches: bool) -> None:
    assert (match_rule(rule(**conditions), event()) is not None) is matches


def test_outlets_are_distinct_outlets_not_articles() -> None:
    e = event(outlets=("Reuters", "reuters", "www.bbc.co.uk", "bbc.co.uk", None))
    assert count_outlets(e) == 3  # reuters, bbc.co.uk, and the URL host of the outlet-less source
    m = match_rule(rule(min_outlets=3, escalate_at=[4]), e)
    assert m is not None and m.threshold == 3 and m.outlets == 3


def test_merged_events_never_match() -> None:
    assert match_rule(rule(entities=["Putin"]), event(merged_into="ev-2")) is None


def test_new_alerts_respects_fired_state_and_escalates() -> None:
    r = rule(entities=["Putin"], min_outlets=1, escalate_at=[3])
    one = event(outlets=("a",))
    three = event(outlets=("a", "b", "c"))
    first = new_alerts([r], one, {})
    assert [a.threshold for a in first] == [1]
    assert first[0].alert_id == "r|ev-1|1" and first[0].matched_entities == ["person:vladimir-putin"]
    fired = {fired_key("r", "ev-1"): 1}
    assert new_alerts([r], one, fired) == []  # redelivery
    assert [a.threshold for a in new_alerts([r], three, fired)] == [3]
    assert new_alerts([r], three, {fired_key("r", "ev-1"): 3}) == []
    assert [a.threshold for a in new_alerts([r], three, {})] == [3]  # first seen above both levels: one alert


def _alert() -> Alert:
    return new_alerts([rule(entities=["Putin"])], event(), {})[0]


async def test_webhook_posts_the_alert_json() -> None:
    received: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(204)

    webhook = parse_config({"webhook": {"url": "https://hooks.example/x"}}).webhook
    assert webhook is not None
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        assert await post_alert(client, webhook, _alert())
    assert Alert.model_validate_json(received[0].content).rule == "r"


@pytest.mark.parametrize("failure", ["status", "timeout"])
async def test_webhook_failures_return_false(failure: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if failure == "timeout":
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(500)

    webhook = parse_config({"webhook": {"url": "https://hooks.example/x", "timeout_s": 0.1}}).webhook
    assert webhook is not None
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        assert not await post_alert(client, webhook, _alert())


def test_entity_matching_uses_the_actor_rule() -> None:
    """A nationality or a time zone on an (older) event record is no actor for a watch rule either."""
    from services.alerts.logic import match_rule  # noqa: PLC0415
    from services.alerts.rules import Rule  # noqa: PLC0415
    from shared.contracts import EntityKind, EventEntity, EventUpdate, SourceRef  # noqa: PLC0415

    event = EventUpdate(
        event_id="ev-1",
        title="Talks",
        sources=[SourceRef(article_id="a1", outlet="Wire")],
        actors=[
            EventEntity(id="group:french", name="French", kind=EntityKind.GROUP),
            EventEntity(id="org:gmt", name="GMT", kind=EntityKind.ORG),
            EventEntity(id="person:joe-biden", name="Joe Biden", kind=EntityKind.PERSON),
        ],
    )
    assert match_rule(Rule(name="b", entities=["Biden"]), event) is not None
    assert match_rule(Rule(name="f", entities=["French"]), event) is None
    assert match_rule(Rule(name="g", entities=["GMT"]), event) is None
