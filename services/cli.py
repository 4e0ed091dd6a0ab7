"""The ``wirewatch`` command line: events, replay, schemas, topics, fetch, sources."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from shared.contracts import EventUpdate, Message


def _print_json_lines(messages: Sequence[Message]) -> None:
    for message in messages:
        sys.stdout.write(message.model_dump_json() + "\n")


def _format_event(event: EventUpdate, detail: bool = False) -> str:
    when = event.event_date.isoformat() if event.event_date else "date unknown"
    actors = ", ".join(a.name for a in event.actors[:5]) or "-"
    places = ", ".join(p.name for p in event.places[:5]) or "-"
    lines = [
        f"● {event.title or '(untitled)'}",
        f"  id {event.event_id} · {event.event_type} · {when} ({event.event_date_precision}) · {event.status}"
        f" · {len(event.sources)} source(s) · revision {event.revision}",
        f"  actors: {actors}",
        f"  places: {places}",
    ]
    for s in event.sources:
        lines.append(f"    - {s.article_id} [{s.role}] {s.outlet or ''} {s.url or ''}".rstrip())
    if detail:
        if event.summary:
            lines.append(f"  summary: {event.summary}")
        for step in event.timeline:
            lines.append(f"  {step.at.isoformat()} {step.status}: {', '.join(step.article_ids)}")
        for q in event.quantities[:10]:
            lines.append(f"  quantity: {q.text} ({', '.join(q.article_ids)})")
        if event.merged_from:
            lines.append(f"  merged from: {', '.join(event.merged_from)}")
    return "\n".join(lines)


def cmd_events(args: argparse.Namespace) -> int:
    from services.sink.store import EventQuery, EventStore  # noqa: PLC0415
    from shared.settings import SinkSettings  # noqa: PLC0415

    url = args.database or SinkSettings().database_url.get_secret_value()
    store = EventStore(url)
    if args.show:
        event = store.event(args.show)
        if event is None:
            print(f"no event {args.show}", file=sys.stderr)
            return 1
        print(event.model_dump_json(indent=2) if args.json else _format_event(event, detail=True))
        return 0
    query = EventQuery(
        entity=args.entity,
        text=args.text,
        date_from=args.date_from,
        date_to=args.date_to,
        min_sources=args.min_sources,
        limit=args.limit,
    )
    events = store.events(query)
    if args.json:
        _print_json_lines(events)
    else:
        for event in events:
            print(_format_event(event))
        print(f"{len(events)} event(s)")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from services.replay import Replay  # noqa: PLC0415

    replay = Replay(until=args.until)
    out = replay.run(args.paths)
    _print_json_lines(out)
    for letter in replay.dead_letters:
        sys.stderr.write(letter.model_dump_json() + "\n")
    print(f"replay: {len(out)} {args.until} message(s), {len(replay.dead_letters)} dead letter(s)", file=sys.stderr)
    return 0


def cmd_schemas(args: argparse.Namespace) -> int:
    from shared.schemas import write_schemas  # noqa: PLC0415

    for path in write_schemas(Path(args.out)):
        print(path)
    return 0


def cmd_topics(args: argparse.Namespace) -> int:
    import asyncio  # noqa: PLC0415

    from shared.admin import ensure_topics  # noqa: PLC0415
    from shared.settings import BaseServiceSettings  # noqa: PLC0415

    created = asyncio.run(ensure_topics(BaseServiceSettings()))
    print(f"topics ready ({len(created)} created: {', '.join(created) or '-'})")
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    from services.fetcher.cli import fetch_once  # noqa: PLC0415

    if not args.once:
        print("only --once is supported here; run the service (python -m services.fetcher) to poll", file=sys.stderr)
        return 2
    count = 0
    for article in fetch_once(args.sources, allow_private=args.allow_private):
        sys.stdout.write(article.model_dump_json() + "\n")
        count += 1
    print(f"fetch: {count} article(s)", file=sys.stderr)
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    from services.fetcher.cli import sources_health  # noqa: PLC0415

    sources_health(Path(args.file) if args.file else None, health_url=args.health_url)
    return 0


def cmd_train_dedup(args: argparse.Namespace) -> int:
    from services.deduplicator.training import train_files  # noqa: PLC0415

    model = train_files([Path(p) for p in args.data], Path(args.out), seed=args.seed)
    print(
        f"train-dedup: wrote {args.out} (model {model.version}, join {model.join_threshold}, "
        f"merge {model.merge_threshold}, {model.training.get('articles')} articles)",
        file=sys.stderr,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wirewatch", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    ev = sub.add_parser("events", help="list, filter or show consolidated events in the sink")
    ev.add_argument("--json", action="store_true", help="one JSON object per line")
    ev.add_argument("--show", metavar="EVENT_ID", help="one event with sources, timeline and quantities")
    ev.add_argument("--entity", help="canonical entity id or a name fragment")
    ev.add_argument("--text", help="text in title or summary")
    ev.add_argument("--from", dest="date_from", type=date.fromisoformat, help="event date from (YYYY-MM-DD)")
    ev.add_argument("--to", dest="date_to", type=date.fromisoformat, help="event date to (YYYY-MM-DD)")
    ev.add_argument("--min-sources", type=int, default=1)
    ev.add_argument("--limit", type=int, default=100)
    ev.add_argument("--database", help="override WIREWATCH_DATABASE_URL")
    ev.set_defaults(func=cmd_events)

    rp = sub.add_parser("replay", help="run the stage logic in one process on files, print JSON lines")
    rp.add_argument("paths", nargs="+", help=".txt/.html/.html.gz files, folders, or .jsonl records")
    rp.add_argument("--until", choices=["clean", "extract", "dedup", "events"], default="events")
    rp.set_defaults(func=cmd_replay)

    sc = sub.add_parser("schemas", help="write the JSON Schema of every topic's message")
    sc.add_argument("--out", default="docs/schemas")
    sc.set_defaults(func=cmd_schemas)

    tp = sub.add_parser("topics", help="create the pipeline's topics with the configured partitions")
    tp.set_defaults(func=cmd_topics)

    fe = sub.add_parser("fetch", help="fetch sources now, without Kafka, and print raw articles as JSON lines")
    fe.add_argument("--once", action="store_true", required=True, help="poll each source once")
    fe.add_argument("sources", nargs="+", help="feed/sitemap/page URL, folder, file or .jsonl file")
    fe.add_argument("--allow-private", action="store_true", help="allow loopback/private addresses")
    fe.set_defaults(func=cmd_fetch)

    so = sub.add_parser("sources", help="each configured source and its health")
    so.add_argument("--file", help="sources TOML file (default: WIREWATCH_SOURCES_FILE)")
    so.add_argument("--health-url", help="a running fetcher's /fetcher/health URL")
    so.set_defaults(func=cmd_sources)

    td = sub.add_parser("train-dedup", help="train the deduplicator's article-to-event model on labelled JSONL")
    td.add_argument(
        "--data",
        action="append",
        required=True,
        metavar="FILE.jsonl",
        help="labelled stream (doc_id, event_cluster, text; optional title, url, published_at); repeatable",
    )
    td.add_argument("--out", required=True, help="model file to write (point WIREWATCH_DEDUPLICATOR_MODEL at it)")
    td.add_argument("--seed", type=int, default=15)
    td.set_defaults(func=cmd_train_dedup)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from shared.logging import configure_logging  # noqa: PLC0415

    configure_logging("WARNING")  # logs go to stderr: stdout carries the command's output
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
