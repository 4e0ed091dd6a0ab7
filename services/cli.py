"""The ``wirewatch`` command line: events, replay, schemas, config-doc, topics, fetch, sources."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from shared.contracts import EventUpdate, Message
from shared.contracts.text import terminal_safe

#: Exit statuses of ``replay`` and ``fetch --once`` (2 is argparse's usage error): all went well;
#: nothing could be read; some inputs failed (dead letters, failed sources) and the rest was processed.
EXIT_OK, EXIT_FAILED, EXIT_PARTIAL = 0, 1, 3


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
    return "\n".join(terminal_safe(line) for line in lines)  # titles and names come from the web


def cmd_events(args: argparse.Namespace) -> int:
    from shared.eventstore import EventQuery, EventReader  # noqa: PLC0415
    from shared.settings import StoreSettings  # noqa: PLC0415

    url = args.database or StoreSettings().database_url.get_secret_value()
    store = EventReader(url)
    if args.show:
        event = store.event(args.show)
        if event is None:
            print(f"no event {terminal_safe(args.show)}", file=sys.stderr)
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
    from services.replay import Replay, summary_line  # noqa: PLC0415

    if args.database and args.until != "events":
        print("--database needs --until events (only the sink writes the store)", file=sys.stderr)
        return 2
    replay = Replay(until=args.until, database_url=args.database)
    out = replay.run(args.paths)
    _print_json_lines(out)
    for letter in replay.dead_letters:
        sys.stderr.write(letter.model_dump_json() + "\n")
    print(summary_line(args.until, len(out), replay.inputs, replay.dead_letters), file=sys.stderr)
    if not replay.dead_letters:
        return EXIT_OK
    return EXIT_PARTIAL if out else EXIT_FAILED


def cmd_schemas(args: argparse.Namespace) -> int:
    from shared.schemas import write_schemas  # noqa: PLC0415

    for path in write_schemas(Path(args.out)):
        print(path)
    return 0


def cmd_config_doc(args: argparse.Namespace) -> int:
    from services.configuration import DOC, render  # noqa: PLC0415

    out = Path(args.out) if args.out else DOC
    text = render()
    if args.check:
        if not out.is_file() or out.read_text(encoding="utf-8") != text:
            print(f"{out} is out of date: run `python -m services.cli config-doc`", file=sys.stderr)
            return 1
        return 0
    out.write_text(text, encoding="utf-8")
    print(out)
    return 0


def cmd_topics(args: argparse.Namespace) -> int:
    import asyncio  # noqa: PLC0415

    from shared.admin import ensure_topics, replication_problems, replication_report  # noqa: PLC0415
    from shared.settings import BaseServiceSettings  # noqa: PLC0415

    settings = BaseServiceSettings()
    if args.check:
        report = asyncio.run(replication_report(settings))
        for name, r in report.items():
            print(
                f"{name}: {r['partitions']} partitions, replicas {r['replicas']}, in sync {r['isr']},"
                f" min.insync.replicas {r['min_insync']}"
            )
        problems = replication_problems(report, settings.topic_replication) or ([] if report else ["no pipeline topic"])
        for line in problems:
            print(f"PROBLEM {line}", file=sys.stderr)
        return EXIT_FAILED if problems else EXIT_OK
    created = asyncio.run(ensure_topics(settings))
    print(f"topics ready ({len(created)} created: {', '.join(created) or '-'})")
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    import asyncio  # noqa: PLC0415

    from services.fetcher.cli import fetch_once_run  # noqa: PLC0415

    if not args.once:
        print("only --once is supported here; run the service (python -m services.fetcher) to poll", file=sys.stderr)
        return 2
    run = asyncio.run(fetch_once_run(args.sources, allow_private=args.allow_private))
    _print_json_lines(run.articles)
    for letter in run.dead_letters:  # as replay prints its dead letters: one JSON object a line
        print(letter.model_dump_json(), file=sys.stderr)
    for sid, error in sorted(run.failed.items()):
        print(f"{sid}: {terminal_safe(error)}", file=sys.stderr)
    print(run.summary(), file=sys.stderr)
    if run.sources and len(run.failed) == run.sources:
        return EXIT_FAILED  # every source failed: nothing could be read
    return EXIT_PARTIAL if run.failed or run.problems else EXIT_OK


def cmd_sources(args: argparse.Namespace) -> int:
    from services.fetcher.cli import sources_health  # noqa: PLC0415

    sources_health(Path(args.file) if args.file else None, health_url=args.health_url)
    return 0


def cmd_train_dedup(args: argparse.Namespace) -> int:
    from services.deduplicator.training import train_files  # noqa: PLC0415
    from services.replay import enrich_records  # noqa: PLC0415

    model = train_files([Path(p) for p in args.data], Path(args.out), enrich_records, seed=args.seed)
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
    rp.add_argument(
        "--database", help="write the events into this store (sqlite:///PATH or postgresql://…): a back-fill"
    )
    rp.set_defaults(func=cmd_replay)

    sc = sub.add_parser("schemas", help="write the JSON Schema of every topic's message")
    sc.add_argument("--out", default="docs/schemas")
    sc.set_defaults(func=cmd_schemas)

    cd = sub.add_parser("config-doc", help="write docs/configuration.md from the settings classes")
    cd.add_argument("--out", help="another path (default: docs/configuration.md)")
    cd.add_argument("--check", action="store_true", help="only check that the page is up to date (exit 1 if not)")
    cd.set_defaults(func=cmd_config_doc)

    tp = sub.add_parser("topics", help="create the pipeline's topics with the configured partitions")
    tp.add_argument(
        "--check",
        action="store_true",
        help="create nothing: describe every pipeline topic (faust's too) and exit 1 unless each has "
        "WIREWATCH_TOPIC_REPLICATION replicas, all in sync, and min.insync.replicas 2 when there are 3+",
    )
    tp.set_defaults(func=cmd_topics)

    fe = sub.add_parser("fetch", help="fetch sources now, without Kafka, and print raw articles as JSON lines")
    fe.add_argument("--once", action="store_true", required=True, help="poll each source once")
    fe.add_argument("sources", nargs="+", help="feed/sitemap/page URL, folder, file or .jsonl file")
    fe.add_argument("--allow-private", action="store_true", help="allow loopback/private addresses")
    fe.set_defaults(func=cmd_fetch)

    so = sub.add_parser("sources", help="each configured source and its health")
    so.add_argument("--file", help="sources TOML file (default: WIREWATCH_FETCHER_SOURCES_FILE)")
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
    from shared.errors import StoreNotReady  # noqa: PLC0415

    try:
        return int(args.func(args))
    except StoreNotReady as exc:
        print(f"wirewatch: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
