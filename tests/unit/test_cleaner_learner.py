"""The per-outlet boilerplate learner: learns template lines, stays bounded, survives a round trip."""

from __future__ import annotations

import json

from services.cleaner.learner import BoilerplateLearner
from services.cleaner.logic import clean
from shared.contracts.articles import RawArticle

TEMPLATE = "Get the Morning Ledger newsletter every weekday"


TOPICS = ["harbour", "railway", "school", "hospital", "library", "stadium"]


def _article(i: int) -> str:
    topic = TOPICS[i]
    return "\n".join(
        [
            f"Council argues about the {topic} works again",
            f"The council met to discuss the {topic} works, which are running late and over budget. "
            f"Residents near the {topic} asked for a public hearing before any new contract is signed this year.",
            TEMPLATE,
            f"Officials said the next update on the {topic} would come after the engineers report in the spring.",
        ]
    )


def test_learns_lines_recurring_in_an_outlet() -> None:
    learner = BoilerplateLearner(min_articles=3)
    for i in range(3):
        learner.observe("ledger", [TEMPLATE, f"unique line about the {TOPICS[i]} in prose"])
    assert learner.is_boilerplate("ledger", TEMPLATE)
    assert learner.is_boilerplate("ledger", TEMPLATE.upper() + "!")  # case and punctuation ignored
    assert not learner.is_boilerplate("ledger", "unique line about the harbour in prose")
    assert not learner.is_boilerplate("other-outlet", TEMPLATE)
    assert learner.articles_seen("ledger") == 3


def test_line_counts_once_per_article() -> None:
    learner = BoilerplateLearner(min_articles=2)
    learner.observe("o", [TEMPLATE, TEMPLATE, TEMPLATE])
    assert not learner.is_boilerplate("o", TEMPLATE)


def test_memory_is_bounded() -> None:
    learner = BoilerplateLearner(max_lines=50, max_outlets=3)
    for outlet in range(10):
        for i in range(100):
            learner.observe(f"outlet-{outlet}", [f"line {i} text {outlet} alpha".replace("1", "one ")])
    state = learner.to_state()
    assert len(state["outlets"]) == 3
    assert all(len(o["lines"]) <= 50 for o in state["outlets"].values())


def test_state_round_trip_is_json() -> None:
    learner = BoilerplateLearner(min_articles=2)
    for _ in range(2):
        learner.observe("ledger", [TEMPLATE])
    state = json.loads(json.dumps(learner.to_state()))
    restored = BoilerplateLearner.from_state(state)
    assert restored.is_boilerplate("ledger", TEMPLATE)
    assert restored.to_state() == learner.to_state()


def test_from_state_tolerates_garbage() -> None:
    for junk in (None, {}, {"version": 99}, {"version": 1, "outlets": [1, 2]}, {"version": 1, "outlets": {"a": 5}}):
        assert BoilerplateLearner.from_state(junk).to_state()["outlets"] == {}  # type: ignore[arg-type]


def test_clean_uses_and_feeds_learner() -> None:
    learner = BoilerplateLearner(min_articles=3)
    texts = []
    for i in range(5):
        article = clean(RawArticle(article_id=f"a{i}", outlet="Ledger", body=_article(i)), learner)
        texts.append(article.text)
    assert all(TEMPLATE in t for t in texts[:3])
    assert all(TEMPLATE not in t for t in texts[3:])
    assert learner.articles_seen("ledger") == 5


def test_learner_never_empties_a_republished_article() -> None:
    learner = BoilerplateLearner(min_articles=2)
    for i in range(4):
        article = clean(RawArticle(article_id=f"r{i}", outlet="Ledger", body=_article(0)), learner)
        assert "harbour works" in article.text


def test_html_articles_teach_the_learner() -> None:
    learner = BoilerplateLearner(min_articles=2)
    texts = []
    for i in range(4):
        body = (
            f"<html><body><article><p>{_article(i).split(chr(10))[1]}</p><p>{TEMPLATE}.</p>"
            f"<p>{_article(i).split(chr(10))[3]}</p></article></body></html>"
        )
        texts.append(
            clean(RawArticle(article_id=f"h{i}", outlet="Ledger", body=body, content_type="text/html"), learner).text
        )
    assert TEMPLATE in texts[0] and TEMPLATE in texts[1]
    assert TEMPLATE not in texts[2] and TEMPLATE not in texts[3]
