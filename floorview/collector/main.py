"""`floorview collect --config FILE`: the collector process, from a config."""

from __future__ import annotations

import asyncio
import contextlib
import sys

from floorview.config import Config, ConfigError


def run_collector(config: Config) -> int:
    # Imported here so the CLI's other commands do not load the server.
    from floorview.cli import make_feed, outlook_settings
    from floorview.collector.access import AccessError, load_tokens
    from floorview.collector.server import create_app, serve
    from floorview.collector.service import Collector
    from floorview.journal import Journal, JournalError
    from floorview.monitor import Monitor

    c = config.collector
    if c.tokens_file is None:
        print(f"floorview: {config.path}: collector.tokens_file: the collector needs a tokens "
              "file (see README: One collector, many viewers)", file=sys.stderr)
        return 2
    if any(s.kind == "collector" for s in config.sources):
        print("floorview: a collector polls the vendor's sources, not another collector",
              file=sys.stderr)
        return 2
    try:
        tokens = load_tokens(c.tokens_file)
        settings = outlook_settings(config)
        journal = Journal(config.journal.path)
    except (AccessError, ConfigError, JournalError) as exc:
        print(f"floorview: {exc}", file=sys.stderr)
        return 2

    async def main() -> None:
        collector = Collector([make_feed(s) for s in config.sources],
                              Monitor(config.alerts, journal), settings)
        collector.start()
        scheme = "https" if c.tls_certfile else "http"
        print(f"floorview collector on {scheme}://{c.host}:{c.port} — "
              f"{len(config.sources)} source(s), {len(tokens)} token(s); Ctrl+C stops",
              flush=True)
        try:
            await serve(create_app(collector, tokens), c.host, c.port,
                        certfile=None if c.tls_certfile is None else str(c.tls_certfile),
                        keyfile=None if c.tls_keyfile is None else str(c.tls_keyfile))
        finally:
            await collector.stop()

    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(main())
    finally:
        journal.close()
    return 0
