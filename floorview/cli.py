"""The `floorview` command line: one sub-command per job, each a small function."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from floorview import __version__
from floorview.config import (
    Config,
    ConfigError,
    DisplayConfig,
    JournalConfig,
    SourceConfig,
    TicketConfig,
    load_config,
)
from floorview.ui.i18n import LANGUAGES

if TYPE_CHECKING:
    from floorview.analytics.outlook import OutlookSettings
    from floorview.feed import Feed
    from floorview.sources.base import Source
    from floorview.ui.app import FloorApp


def outlook_settings(config: Config) -> OutlookSettings:
    """The re-forecast settings from the config; a bad forecast CSV is a ConfigError."""
    from floorview.analytics.outlook import OutlookSettings
    from floorview.analytics.reforecast import ReforecastParams
    from floorview.sources.intervals import ForecastFileError, load_forecast_csv

    r = config.reforecast
    forecast = None
    if r.forecast_csv is not None:
        try:
            forecast = load_forecast_csv(r.forecast_csv)
        except ForecastFileError as exc:
            raise ConfigError(f"reforecast.forecast_csv: {exc}") from None
    return OutlookSettings(
        params=ReforecastParams(**dict(r.tuning)),
        patience_s=r.patience_s,
        volume_override=dict(r.volume_override),
        exclude=[(q, dt.time.fromisoformat(hhmm)) for q, hhmm in r.exclude],
        forecast=forecast,
    )


def make_source(config: SourceConfig) -> Source:
    from floorview.sources.http import HttpLimits
    from floorview.sources.registry import (
        TELEPHONY_MODULES,
        AdapterError,
        adapter_config,
        build_telephony,
        build_tickets,
        with_tickets,
    )
    from floorview.sources.rest import RestSource

    def limits(c: SourceConfig | TicketConfig) -> HttpLimits:
        # The config tables carry the limits under HttpLimits' own field names.
        return HttpLimits(**{f.name: getattr(c, f.name) for f in dataclasses.fields(HttpLimits)})

    tickets = None
    try:
        if config.tickets is not None:
            t = config.tickets
            tickets = build_tickets(
                t.kind, adapter_config(config.name, t.url, t.options, limits(t))
            )
        if config.kind in TELEPHONY_MODULES:
            telephony = build_telephony(
                config.kind,
                adapter_config(config.name, config.url, config.options, limits(config)),
            )
            return with_tickets(telephony, tickets)
    except AdapterError as exc:
        raise ConfigError(str(exc)) from None

    if config.kind == "collector":
        from floorview.collector.access import AccessError, read_token
        from floorview.identity import current_actor
        from floorview.sources.collector_source import CollectorSource

        assert config.token_file is not None  # the config reader requires it
        try:
            token = read_token(config.token_file)
        except AccessError as exc:
            raise ConfigError(f"sources.{config.name}.token_file: {exc}") from None
        return CollectorSource(
            config.name, config.url, token=token, user=current_actor().label(),
            remote_source=config.collector_source, timeout_s=config.timeout_s,
            poll_deadline_s=config.poll_deadline_s,
            # Requests to our own collector, not to the vendor: the budget guards it anyway.
            max_requests_per_s=config.max_requests_per_s, burst=config.burst,
            max_response_bytes=config.max_response_bytes,
        )
    rest = RestSource(
        config.name,
        config.url,
        timeout_s=config.timeout_s,
        poll_deadline_s=config.poll_deadline_s,
        max_requests_per_s=config.max_requests_per_s,
        burst=config.burst,
        max_response_bytes=config.max_response_bytes,
    )
    return with_tickets(rest, tickets)


def make_feed(config: SourceConfig) -> Feed:
    from floorview.feed import Feed

    return Feed(
        make_source(config),
        config.poll_interval_s,
        poll_deadline_s=config.poll_deadline_s,
        # A collector's stream reconnects by itself and a wait on it sends nothing: opening
        # the circuit would only hold a recovered floor off the screen for circuit_reset_s.
        circuit_failures=config.circuit_failures if config.kind != "collector" else 10**9,
        circuit_reset_s=config.circuit_reset_s,
    )


def build_app(config: Config) -> FloorApp:
    """The dashboard for ``config``; raises ConfigError, or JournalError for a journal
    that cannot be opened."""
    # Imported here so `floorview check-config` and `erlang` start without loading Textual.
    from floorview.journal import Journal
    from floorview.monitor import Monitor
    from floorview.ui.app import FloorApp
    from floorview.ui.user_state import state_path

    feeds = [make_feed(s) for s in config.sources]
    journal = Journal(config.journal.path)
    return FloorApp(
        feeds,
        outlook=outlook_settings(config),
        mask_after_s=config.display.mask_after_s,
        title=config.display.title,
        theme=config.display.theme,
        language=config.display.language,
        keys=dict(config.keys),
        freeze_gc=True,
        wall=config.display.mode == "wall",
        page_s=config.display.page_s,
        state_file=state_path(),
        monitor=Monitor(config.alerts, journal),
    )


def _run_app(config: Config) -> int:
    from floorview.journal import JournalError

    while True:
        try:
            app = build_app(config)
        except (ConfigError, JournalError) as exc:
            print(f"floorview: {exc}", file=sys.stderr)
            return 2
        try:
            app.run()
        finally:
            if app.monitor.journal is not None:
                app.monitor.journal.close()
        if not app.wall or app.return_code == 0:
            return app.return_code or 0
        # A wall never stays down: whatever stopped it, it starts again (a wall cannot be
        # quit from its keyboard, so an exit here is a failure).
        print("floorview: the wall display stopped; starting it again in 5 s", file=sys.stderr)
        time.sleep(5)


def cmd_run(args: argparse.Namespace) -> int:
    if (args.config is None) == (args.collector is None):
        print("floorview: run needs --config FILE or --collector URL (one of them)",
              file=sys.stderr)
        return 2
    # --wall over whatever the config says: one flag to turn a desk config into a wall.
    display = {"mode": "wall"} if args.wall else {}
    if args.collector is not None:
        if args.token_file is None:
            print("floorview: --collector needs --token-file FILE (mode 0600)", file=sys.stderr)
            return 2
        config = Config(sources=(SourceConfig(
            name="floor", kind="collector", url=args.collector, poll_interval_s=1.0,
            token_file=Path(args.token_file).expanduser().resolve(),
        ),), display=DisplayConfig(**display))
        return _run_app(config)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"floorview: {exc}", file=sys.stderr)
        return 2
    if display:
        config = dataclasses.replace(
            config, display=dataclasses.replace(config.display, **display)
        )
    return _run_app(config)


def cmd_collect(args: argparse.Namespace) -> int:
    from floorview.collector.main import run_collector

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"floorview: {exc}", file=sys.stderr)
        return 2
    return run_collector(config)


def cmd_check_config(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.file)
        outlook_settings(config)  # a forecast CSV named in the config must load too
        # Each adapter is built, so a missing credential or a bad option shows here; no
        # request is sent.
        _close_all([make_source(s) for s in config.sources])
    except ConfigError as exc:
        print(f"floorview: {exc}", file=sys.stderr)
        return 2
    names = ", ".join(_describe(s) for s in config.sources)
    print(f"{args.file}: OK — {len(config.sources)} source(s): {names}")
    return 0


def _describe(source: SourceConfig) -> str:
    where = f"{source.kind} {source.url}".rstrip()
    if source.tickets is not None:
        where += f", tickets: {source.tickets.kind} {source.tickets.url}"
    return f"{source.name} ({where})"


def _close_all(sources: list[Source]) -> None:
    import asyncio

    async def close() -> None:
        for source in sources:
            await source.aclose()

    asyncio.run(close())


def cmd_snapshot(args: argparse.Namespace) -> int:
    from floorview.snapshot_cmd import run_snapshot

    try:
        config = load_config(args.config)
        settings = outlook_settings(config)
    except ConfigError as exc:
        print(f"floorview: {exc}", file=sys.stderr)
        return 2
    return run_snapshot([make_source(s) for s in config.sources], settings, args.format,
                        owners=_journal_owners(config))


def _journal_owners(config: Config) -> dict[str, tuple[str, str]]:
    """Who has each alert, from the config's journal if there is one; nothing otherwise
    (a snapshot must print even where no dashboard ever ran)."""
    from floorview.bridge import owners_from
    from floorview.journal import Journal

    if not config.journal.path.exists():
        return {}
    try:
        with Journal(config.journal.path, create=False, read_only=True) as journal:
            return owners_from(journal.latest_acks())
    except Exception:  # an unreadable journal costs the owners, not the summary
        return {}


def cmd_demo(args: argparse.Namespace) -> int:
    from floorview.journal import default_path
    from floorview.sim.config import config_from_args
    from floorview.sim.server import start_in_thread

    sim = start_in_thread(config_from_args(args))
    try:
        config = Config(
            sources=(SourceConfig(name="sim", kind="rest", url=sim.url, poll_interval_s=1.0),),
            display=DisplayConfig(title="floorview demo", language=args.language,
                                  mode="wall" if args.wall else "desk"),
            # Its own file: a simulated floor's acks have no place in a real floor's trail,
            # but two demos side by side share theirs, as two supervisors would.
            journal=JournalConfig(default_path().with_name("demo-journal.sqlite3")),
        )
        return _run_app(config)
    finally:
        sim.stop()


def cmd_sim(args: argparse.Namespace) -> int:
    import asyncio

    from floorview.sim.config import config_from_args
    from floorview.sim.server import serve

    print(f"floorview simulator on http://{args.host}:{args.port} (Ctrl+C stops)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, config_from_args(args)))
    return 0


def cmd_erlang(args: argparse.Namespace) -> int:
    from floorview.erlang_cli import run

    return run(args)


def cmd_audit(args: argparse.Namespace) -> int:
    from floorview.audit_cmd import parse_since, run_audit

    if args.journal is not None:
        journal_path = Path(args.journal)
    else:
        try:
            journal_path = load_config(args.config).journal.path
        except ConfigError as exc:
            print(f"floorview: {exc}", file=sys.stderr)
            return 2
    since = None
    if args.since is not None:
        try:
            # A person typing "2h" means two hours of their own clock, not the source's.
            since = parse_since(args.since, dt.datetime.now(dt.UTC))
        except ValueError as exc:
            print(f"floorview: --since: {exc}", file=sys.stderr)
            return 2
    return run_audit(journal_path, since=since, fmt=args.format, out=sys.stdout)


def cmd_undo(args: argparse.Namespace) -> int:
    import asyncio

    from floorview.actions import ActionRefused, Permissions, undo
    from floorview.identity import current_actor
    from floorview.journal import Journal, JournalError

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"floorview: {exc}", file=sys.stderr)
        return 2
    named = [s for s in config.sources if args.source in (None, s.name)]
    if not named:
        print(f"floorview: no source named {args.source!r} in {args.config}", file=sys.stderr)
        return 2

    async def run() -> int:
        source = make_source(named[0])
        try:
            with Journal(config.journal.path, create=False) as journal:
                results = await undo(
                    args.id, source=source, journal=journal, actor=current_actor(),
                    permissions=Permissions(), at=lambda: dt.datetime.now(dt.UTC),
                )
        except (ActionRefused, JournalError) as exc:
            print(f"floorview: {exc}", file=sys.stderr)
            return 1
        finally:
            await source.aclose()
        for r in results:
            print(f"{r.outcome:9} {r.message}")
        return 0 if all(r.outcome == "done" for r in results) else 1

    return asyncio.run(run())


def build_parser() -> argparse.ArgumentParser:
    from floorview.erlang_cli import add_arguments as add_erlang_arguments
    from floorview.sim.config import add_sim_arguments

    parser = argparse.ArgumentParser(
        prog="floorview", description="A terminal dashboard for a live contact-centre floor."
    )
    parser.add_argument("--version", action="version", version=f"floorview {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = sub.add_parser("demo", help="the dashboard against the built-in simulator")
    add_sim_arguments(demo)
    demo.add_argument("--language", choices=LANGUAGES, default="en",
                      help="screen labels (default en; `l` switches while running)")
    demo.add_argument("--wall", action="store_true",
                      help="as a wall display (read-only, no keys: stop it with kill)")
    demo.set_defaults(func=cmd_demo)

    sim = sub.add_parser("sim", help="serve the simulator alone (Floor API v1)")
    sim.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    sim.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    add_sim_arguments(sim)
    sim.set_defaults(func=cmd_sim)

    run = sub.add_parser("run", help="the dashboard against the sources in a config file")
    run.add_argument("--config", metavar="FILE", help="TOML config file")
    run.add_argument("--collector", metavar="URL",
                     help="view a floorview collector instead of polling sources")
    run.add_argument("--token-file", metavar="FILE",
                     help="with --collector: this viewer's token (a file of mode 0600)")
    run.add_argument("--wall", action="store_true",
                     help="wall display: read-only, no keys, pages on a timer, big figures")
    run.set_defaults(func=cmd_run)

    collect = sub.add_parser(
        "collect", help="poll the sources once for everyone and serve viewers (see README)"
    )
    collect.add_argument("--config", required=True, metavar="FILE", help="TOML config file")
    collect.set_defaults(func=cmd_collect)

    snap = sub.add_parser(
        "snapshot", help="poll each source once and print the floor (for scripts and bridges)"
    )
    snap.add_argument("--config", required=True, metavar="FILE", help="TOML config file")
    snap.add_argument(
        "--format", choices=("markdown", "json"), default="markdown", help="(default markdown)"
    )
    snap.set_defaults(func=cmd_snapshot)

    check = sub.add_parser("check-config", help="validate a config file and exit")
    check.add_argument("file", metavar="FILE")
    check.set_defaults(func=cmd_check_config)

    audit = sub.add_parser("audit", help="print the audit trail of acknowledgements and actions")
    which = audit.add_mutually_exclusive_group(required=True)
    which.add_argument("--config", metavar="FILE", help="the journal of this TOML config file")
    which.add_argument(
        "--journal", metavar="PATH",
        help="a journal file, e.g. the demo's: ~/.local/state/floorview/demo-journal.sqlite3",
    )
    audit.add_argument(
        "--since",
        metavar="WHEN",
        help="a date or time (UTC unless an offset is given: 2026-11-23, 2026-11-23T09:00Z) "
        "or an age (30m, 2h, 1d)",
    )
    audit.add_argument(
        "--format", choices=("table", "json", "csv"), default="table", help="(default table)"
    )
    audit.set_defaults(func=cmd_audit)

    undo_p = sub.add_parser("undo", help="put back the agents of a reassignment (audit id)")
    undo_p.add_argument("id", type=int, help="an audit id of the move (floorview audit)")
    undo_p.add_argument("--config", required=True, metavar="FILE", help="TOML config file")
    undo_p.add_argument("--source", metavar="NAME", help="the source (default: the first)")
    undo_p.set_defaults(func=cmd_undo)

    erlang = sub.add_parser("erlang", help="Erlang C/A staffing calculator")
    add_erlang_arguments(erlang)
    erlang.set_defaults(func=cmd_erlang)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))
