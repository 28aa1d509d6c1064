"""The floorview Textual app: renders feeds' snapshots; never does I/O of its own."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import BindingsMap, BindingType
from textual.geometry import Size
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, Input, Static

from floorview.actions import (
    READ_ONLY,
    ActionRefused,
    ChangeResult,
    Permissions,
    acknowledge,
    reassign,
    undo,
)
from floorview.alerts import AckInfo, Alert, AlertState, escalations
from floorview.analytics.dayview import QueueDay, queue_day
from floorview.analytics.history import WaitingHistory
from floorview.analytics.outlook import (
    OutlookCache,
    OutlookSettings,
    QueueOutlook,
    current_outlook,
)
from floorview.bridge import AlertLine, stamp
from floorview.feed import Feed, FeedStatus, Health
from floorview.identity import Actor, current_actor
from floorview.journal import AuditEntry
from floorview.journal import default_path as default_journal_path
from floorview.model import FloorSnapshot
from floorview.monitor import Monitor
from floorview.snapshot_cmd import SourceResult, to_markdown
from floorview.sources.base import SourceError
from floorview.sources.collector_source import CollectorSource
from floorview.ui import keymap, partial_updates
from floorview.ui.ack_dialog import AckDialog, AckRequest
from floorview.ui.agent_view import AgentView, agent_detail, recent_actions
from floorview.ui.alerts_view import AlertsView, trail_of
from floorview.ui.floor_view import FloorView
from floorview.ui.forecast_view import ForecastView, forecast_body
from floorview.ui.format import age as format_age
from floorview.ui.format import rich_colours
from floorview.ui.header import FloorHeader
from floorview.ui.help_view import HelpView
from floorview.ui.i18n import DEFAULT_LANGUAGE, LANGUAGES, set_language, tr
from floorview.ui.i18n import language as current_language
from floorview.ui.incident_view import IncidentLog, IncidentView, incident_body
from floorview.ui.live_table import LiveTable
from floorview.ui.pickers import ColumnPicker, SortPicker
from floorview.ui.reassign_dialog import ConfirmDialog, ReassignDialog, ReassignRequest
from floorview.ui.reassign_flow import Watching, agent_changes, picked_agents, previewer
from floorview.ui.tables import AgentExtras, AgentFilter, QueueExtras
from floorview.ui.themes import DEFAULT_THEME, load_themes
from floorview.ui.themes import theme_dirs as find_theme_dirs
from floorview.ui.user_state import TableChoice, UserState, load_state, save_state
from floorview.ui.wall import DEFAULT_PAGE_S, WALL_PAGES, WallHeadline, headline

partial_updates.install()

#: Past this age a source's figures are hidden rather than shown as if they were current.
DEFAULT_MASK_AFTER_S = 120.0
#: Below this the essentials do not fit: a notice says so instead of a broken layout.
MIN_SIZE = (80, 24)
#: A wall gives the whole screen to SOURCE DOWN once the data is this old.
WALL_DOWN_AFTER_S = 15.0
#: From this width alerts and escalations sit beside the agent board.
WIDE_FROM = 120


def _update_if_changed(widget: Static, text: Text) -> None:
    """Update a banner only when its words change: an update lays the screen out again,
    and that repaints every scrollbar on it (bytes down an SSH link, every second)."""
    old = widget.content
    if isinstance(old, Text) and old.plain == text.plain and old.spans == text.spans:
        return
    widget.update(text)


class FloorApp(App[None]):
    TITLE = "floorview"
    CSS = """
    #views { height: 1fr; }
    /* Textual's compact footer gives every key a right margin, the right-docked palette
       key too: the last column then shows a letter of the keys scrolled beneath it. */
    Footer.-compact FooterKey.-command-palette { margin-right: 0; padding-right: 1; }
    #freshness { height: auto; padding: 0 1; display: none; text-style: bold; }
    #freshness.stale { display: block; background: $warning; color: $text; }
    #freshness.down { display: block; background: $error; color: $text; }
    #problems { height: auto; max-height: 3; color: $error; padding: 0 1; display: none; }
    #problems.shown { display: block; }
    #too-small { display: none; height: 1fr; content-align: center middle; text-style: bold; }
    .wall #freshness { padding: 1 2; content-align: center middle; text-style: bold; }
    .wall #freshness.stale { height: 5; }
    .wall.source-down #freshness { height: 1fr; }
    .wall.source-down #views { display: none; }
    /* Big old figures read from across the room as live ones: they go with the rest. */
    .wall.source-down #headline { display: none; }
    .too-small #views { display: none; }
    .too-small #too-small { display: block; }
    """
    BINDINGS: ClassVar[list[BindingType]] = list(keymap.bindings())

    def __init__(
        self,
        feeds: Sequence[Feed],
        *,
        tick_s: float = 1.0,
        outlook: OutlookSettings | None = None,
        mask_after_s: float = DEFAULT_MASK_AFTER_S,
        title: str = "floorview",
        theme: str = DEFAULT_THEME,
        theme_dirs: Sequence[Path] | None = None,
        state_file: Path | None = None,
        monitor: Monitor | None = None,
        actor: Actor | None = None,
        permissions: Permissions | None = None,
        language: str = DEFAULT_LANGUAGE,
        keys: Mapping[str, str] | None = None,
        freeze_gc: bool = False,
        wall: bool = False,
        page_s: float = DEFAULT_PAGE_S,
        files_dir: Path | None = None,
    ) -> None:
        #: A wall display: read-only, no keys, pages on a timer, figures in big digits.
        self.wall = wall
        if wall:
            # Read by App.__init__: no palette binding, so nothing to open from a keyboard.
            self.ENABLE_COMMAND_PALETTE = False
        super().__init__()
        self.page_s = page_s
        #: Where `b` and `S` write their files (the state directory unless told).
        self.files_dir = files_dir or default_journal_path().parent
        self.monitor = monitor or Monitor()
        self.themes, self.theme_problems = load_themes(
            find_theme_dirs() if theme_dirs is None else theme_dirs
        )
        #: Where on-screen choices are kept between runs; None keeps nothing (tests).
        self.state_file = state_file
        self.user_state = UserState() if state_file is None else load_state(state_file)
        saved = self.user_state.theme
        # A choice made on screen outlives the config's default until changed on screen.
        self._wanted_theme = saved if saved in self.themes else theme
        wanted_language = self.user_state.language or language
        set_language(wanted_language if wanted_language in LANGUAGES else DEFAULT_LANGUAGE)
        self._install_bindings()
        #: Action id -> key(s), over the registry's defaults (config [keys]).
        self.keys = dict(keys or {})
        self.filter_text = self.user_state.filter
        self.actor = actor or current_actor()
        self.permissions = READ_ONLY if wall else permissions or Permissions()
        self.alerts: list[Alert] = []
        #: Agent row keys picked with space for the next reassignment.
        self.selected: set[str] = set()
        self.watching = Watching()
        self._stop_move: asyncio.Event | None = None
        #: (source, audit id) of the last move made here, for `u`.
        self.last_move: tuple[str, int, int] | None = None
        self.title = title
        self.feeds = list(feeds)
        self.outlook_settings = outlook or OutlookSettings()
        self.outlook_error: str | None = None
        self.monitor_error: str | None = None
        self._outlook_caches: dict[str, OutlookCache] = {}
        self.outlooks: dict[str, dict[str, QueueOutlook]] = {}
        self.history = WaitingHistory()
        self._sl_interval: dict[str, tuple[object, datetime, dict[str, float]]] = {}
        self._forecast_cache: tuple[tuple[object, datetime, str], QueueDay] | None = None
        self.tick_s = tick_s
        self.mask_after_s = mask_after_s
        self.snapshots_applied = 0
        #: Freeze the heap after the first floor (the CLI does; many apps in one test
        #: process must not each pin theirs).
        self.freeze_gc = freeze_gc
        self._settled = False
        #: Sources whose figures are masked because their data is too old to act on.
        self.masked: set[str] = set()
        # Held directly: timers and the poll workers may still fire while the app shuts
        # down, when a DOM query would no longer find them.
        self.header = FloorHeader(id="header")
        self.freshness = Static(id="freshness")
        self.floor = FloorView()
        self.queue_table = self.floor.queue_table
        self.alert_table = self.floor.alert_table
        self.agent_table = self.floor.agent_table
        self.escalation_table = self.floor.escalation_table
        self.forecast_view = ForecastView()
        self.agent_view = AgentView()
        self.alerts_view = AlertsView()
        self.help_view = HelpView()
        self.incident_view = IncidentView()
        self.incidents = IncidentLog()
        self.views = ContentSwitcher(
            self.floor, self.forecast_view, self.agent_view, self.alerts_view, self.help_view,
            self.incident_view, id="views", initial="floor",
        )
        self.too_small = Static(id="too-small")
        self.headline = WallHeadline()
        self.problems = Static(id="problems")
        self._restore_tables()

    def _install_bindings(self) -> None:
        """The registry's bindings, labelled in the current language; Textual's own
        (ctrl+q, ctrl+c) stay. A wall has none at all: a passer-by cannot quit, suspend or
        change it."""
        if self.wall:
            self._bindings = BindingsMap([])
            return
        ours = {a.id for a in keymap.ACTIONS}
        kept = [b for group in self._bindings.key_to_bindings.values() for b in group
                if b.id not in ours]
        translated = [dataclasses.replace(b, description=tr(b.description))
                      for b in keymap.bindings()]
        self._bindings = BindingsMap([*kept, *translated])

    def _tables(self) -> dict[str, LiveTable]:
        return {
            "queues": self.queue_table, "agents": self.agent_table,
            "alerts": self.alert_table, "escalations": self.escalation_table,
            "alert-board": self.alerts_view.board,
        }

    def _restore_tables(self) -> None:
        for name, table in self._tables().items():
            choice = self.user_state.tables.get(name)
            if choice is None:
                continue
            table.hidden = set(choice.hidden)
            if choice.sort in {c.key for c in table.COLUMNS}:
                table.sort_column, table.sort_reverse = choice.sort, choice.reverse

    def _save_state(self) -> None:
        tables = {
            name: TableChoice(table.sort_column, table.sort_reverse, tuple(sorted(table.hidden)))
            for name, table in self._tables().items()
        }
        self.user_state = UserState(
            theme=self.theme, language=current_language(), filter=self.filter_text,
            tables=tables,
        )
        if self.state_file is None:
            return
        try:
            save_state(self.state_file, self.user_state)
        except OSError as exc:  # a read-only home must not cost the session
            self.theme_problems.append(f"choices not saved: {exc}")

    def compose(self) -> ComposeResult:
        yield self.header
        if self.wall:
            yield self.headline
        yield self.freshness
        yield self.views
        yield self.too_small
        yield self.problems
        if not self.wall:
            yield Footer(compact=True)

    def on_mount(self) -> None:
        for loaded in self.themes.values():
            self.register_theme(loaded)
        self._use_theme(self._wanted_theme)
        if self.keys:
            self.set_keymap(self.keys)
        self.floor.relabel()
        self.floor.filter_input.value = self.filter_text
        self.help_view.show(self.keys)
        self._fit_to_size()
        self.agent_table.focus()
        self._refresh_status()
        for feed in self.feeds:
            self.run_worker(self._poll_forever(feed), group=f"poll:{feed.source.name}")
        # Ages keep counting between polls; this is what makes a stalled source visible.
        self.set_interval(self.tick_s, self._refresh_status)
        if self.wall:
            self.add_class("wall")
            self.set_interval(self.page_s, self._next_page)

    def on_resize(self, event: events.Resize) -> None:
        # The event's size: this handler runs before App's own, which updates self.size.
        self._fit_to_size(event.size)

    def _fit_to_size(self, size: Size | None = None) -> None:
        width, height = size or self.size
        small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        self.set_class(small, "too-small")
        self.set_class(width >= WIDE_FROM, "wide")
        self.floor.set_class(width >= WIDE_FROM, "wide")
        if small:
            self.too_small.update(Text(
                tr("Terminal too small") + "\n" + tr(
                    "floorview needs at least {w}x{h}; this terminal is {cw}x{ch}.",
                    w=MIN_SIZE[0], h=MIN_SIZE[1], cw=width, ch=height,
                ),
                justify="center",
            ))

    async def _poll_forever(self, feed: Feed) -> None:
        # One poll in flight per source: the next one is armed only after this one finishes.
        while True:
            snapshot = await feed.poll_once()
            if snapshot is not None:
                self.masked.discard(feed.source.name)
                self._apply(snapshot, feed, fresh=True)
                if self.freeze_gc and not self._settled:
                    self._settled = True
                    # Everything alive after the first floor (modules, widgets, themes)
                    # lives as long as the app: out of the collector's full passes, which
                    # otherwise walk it all every few polls (bench_ui: p95 of a refresh).
                    gc.collect()
                    gc.freeze()
            self._refresh_status()
            await asyncio.sleep(feed.next_delay_s())

    def _apply(self, snapshot: FloorSnapshot, feed: Feed, *, fresh: bool = False) -> None:
        masked = snapshot.source in self.masked
        plan = feed.plan
        outlook: dict[str, QueueOutlook] = {}
        if plan is not None and not masked:
            try:
                cache = self._outlook_caches.setdefault(snapshot.source, OutlookCache())
                outlook = current_outlook(snapshot, plan, self.outlook_settings, cache)
                self.outlook_error = None
            except Exception as exc:  # the board stays up without its Need column
                self.outlook_error = f"re-forecast failed: {type(exc).__name__}: {exc}"
        self.outlooks[snapshot.source] = outlook
        if fresh:
            self.history.observe(snapshot)
            self.incidents.observe(snapshot)
            try:
                self.monitor.observe(snapshot, outlook=outlook, tickets=feed.tickets)
            except Exception as exc:  # alerts are a layer on the floor, not a reason to lose it
                self.monitor_error = f"alerts failed: {type(exc).__name__}: {exc}"
            else:
                self.monitor_error = None
        self._render(snapshot, feed)
        self.snapshots_applied += 1
        if fresh:
            self._confirm_moves(snapshot)

    # --- drawing --------------------------------------------------------------------------

    def _render(self, snapshot: FloorSnapshot, feed: Feed) -> None:
        """Draw one source's data on the screen in view; the others catch up when shown."""
        view = self.views.current
        with self.batch_update():
            if view == "floor":
                self._render_floor(snapshot, feed)
            elif view == "forecast":
                self._render_forecast()
            elif view == "agent":
                self._render_agent()
            elif view == "incident":
                self._render_incident()

    def _render_all(self) -> None:
        for feed in self.feeds:
            if feed.latest is not None:
                self._render(feed.latest, feed)
        self._show_alerts_now()

    def _next_page(self) -> None:
        pages = list(WALL_PAGES)
        at = pages.index(self.views.current) if self.views.current in pages else -1
        page = pages[(at + 1) % len(pages)]
        if page == "forecast":
            # Each visit to the forecast page shows the next queue.
            self.action_step_queue(1)
        self.views.current = page
        self._render_all()

    def _render_floor(self, snapshot: FloorSnapshot, feed: Feed) -> None:
        colours = rich_colours(self.get_css_variables())
        if self.wall:
            self.headline.show(headline(
                [f.latest for f in self.feeds if f.latest is not None]
            ))
        masked = snapshot.source in self.masked
        source = snapshot.source
        extras = QueueExtras(
            self.outlooks.get(source, {}), self._interval_sl(snapshot, feed), self.history
        )
        self.queue_table.show(snapshot, extras, colours, masked=masked)
        keep = AgentFilter(self.filter_text).predicate(snapshot)
        self.agent_table.show(
            snapshot,
            AgentExtras(self.monitor.stress(source), self.monitor.rolling(source),
                        self.selected, keep),
            colours, masked=masked,
        )
        if feed.tickets is not None:
            self.escalation_table.show(source, escalations(feed.tickets, snapshot.as_of),
                                       colours)
        self._show_focus()

    def _interval_sl(self, snapshot: FloorSnapshot, feed: Feed) -> dict[str, float]:
        """SL so far in the interval in progress, from the plan's interval counters; the
        plan is re-read every minute, so this trails the floor by up to a minute."""
        plan = feed.plan
        if plan is None:
            return {}
        start = snapshot.as_of.replace(minute=snapshot.as_of.minute // 15 * 15, second=0,
                                       microsecond=0)
        cached = self._sl_interval.get(snapshot.source)
        if cached is not None and cached[0] is plan and cached[1] == start:
            return cached[2]
        actuals = plan.actuals
        rows = actuals[actuals["start"] == start]
        closed = rows["answered"] + rows["abandoned"]
        sl = {
            str(q): float(within / n)
            for q, within, n in zip(rows["queue"], rows["answered_within_sl"], closed,
                                    strict=True)
            if n > 0
        }
        self._sl_interval[snapshot.source] = (plan, start, sl)
        return sl

    def _show_focus(self) -> None:
        key = self.agent_table.cursor_key
        agent, flag = None, None
        if key is not None:
            source, _, agent_id = key.partition("/")
            feed = self._feed_of(source)
            if feed is not None and feed.latest is not None:
                agent = feed.latest.agent_by_id.get(agent_id)
                flag = self.monitor.stress(source).get(agent_id)
        total = sum(len(f.latest.agents) for f in self.feeds if f.latest is not None)
        self.floor.show_focus(agent, flag, self.agent_table.row_count, total, self.filter_text)

    def on_live_table_row_highlighted(self, event: LiveTable.RowHighlighted) -> None:
        if event.table is self.agent_table:
            self._show_focus()
        elif event.table is self.alerts_view.board:
            self._show_alert_detail()

    def _forecast_day(self, feed: Feed, queue_id: str) -> QueueDay | None:
        """The shown queue's day, worked out again when the plan changes (once a minute),
        the interval turns or another queue is shown, not on every poll: one queue costs
        ~25 ms, and the whole floor's 200 queues ~190 ms."""
        snapshot, plan = feed.latest, feed.plan
        if snapshot is None or plan is None or queue_id not in snapshot.queue_by_id:
            return None
        start = snapshot.as_of.replace(minute=snapshot.as_of.minute // 15 * 15, second=0,
                                       microsecond=0)
        cached = self._forecast_cache
        # The plan by identity: a DayPlan holds DataFrames, which do not compare with ==.
        if cached is not None and cached[0][0] is plan and cached[0][1:] == (start, queue_id):
            return cached[1]
        try:
            day = queue_day(snapshot, plan, self.outlook_settings, queue_id)
        except Exception as exc:  # the rest of the dashboard stays up without the chart
            self.outlook_error = f"forecast view failed: {type(exc).__name__}: {exc}"
            return None
        self._forecast_cache = ((plan, start, queue_id), day)
        return day

    def _queue_keys(self) -> list[str]:
        return [f"{f.latest.source}/{q.id}" for f in self.feeds if f.latest is not None
                for q in f.latest.queues]

    def _render_forecast(self) -> None:
        keys = self._queue_keys()
        if self.forecast_view.queue_key not in keys:
            self.forecast_view.queue_key = self.queue_table.cursor_key or (
                keys[0] if keys else None)
        key = self.forecast_view.queue_key
        if key is None:
            self.forecast_view.show(None)
            return
        source, _, queue_id = key.partition("/")
        feed = self._feed_of(source)
        day = None if feed is None else self._forecast_day(feed, queue_id)
        self.forecast_view.show(None if day is None else forecast_body(
            day, source, rich_colours(self.get_css_variables()), compact=self.size.width < WIDE_FROM
        ))

    def action_step_queue(self, step: int) -> None:
        keys = self._queue_keys()
        if not keys:
            return
        at = keys.index(self.forecast_view.queue_key) if self.forecast_view.queue_key in keys \
            else -step
        self.forecast_view.queue_key = keys[(at + step) % len(keys)]
        if self.views.current == "forecast":
            self._render_forecast()

    def _render_agent(self) -> None:
        key = self.agent_view.agent_key
        if key is None:
            self.agent_view.show(None)
            return
        source, _, agent_id = key.partition("/")
        feed = self._feed_of(source)
        snapshot = None if feed is None else feed.latest
        agent = None if snapshot is None else snapshot.agent_by_id.get(agent_id)
        if snapshot is None or agent is None:
            self.agent_view.show(None)
            return
        actions: list[AuditEntry] = []
        journal = self.monitor.journal
        if journal is not None:
            try:
                actions = recent_actions(journal.audit_entries(limit=500), source, agent_id)
            except Exception as exc:  # the journal is a layer on the floor
                self.monitor_error = f"journal read failed: {type(exc).__name__}: {exc}"
        self.agent_view.show(agent_detail(
            agent, snapshot, self.monitor.timelines(source),
            self.monitor.stress(source).get(agent_id), actions, self.size.width - 4,
            rich_colours(self.get_css_variables()),
        ))

    def _render_incident(self) -> None:
        names = {f"{f.latest.source}/{q.id}": q.name for f in self.feeds
                 if f.latest is not None for q in f.latest.queues}
        intervals = {name: cache.interval for name, cache in self._outlook_caches.items()}
        self.incident_view.show(incident_body(self.incidents, names, intervals))

    def action_pin_queue(self) -> None:
        key = self.queue_table.cursor_key
        if key is None:
            self.notify("Put the cursor on a queue on the Floor first.", severity="warning")
            return
        feed = self._feed_of(key.partition("/")[0])
        if feed is None or feed.latest is None:
            return
        pinned = self.incidents.toggle(key, feed.latest.as_of)
        if pinned:
            self.incidents.observe(feed.latest)
        name = feed.latest.queue_by_id[key.partition("/")[2]].name
        self.notify(f"{name} {tr('pinned') if pinned else tr('unpinned')}", timeout=3,
                    markup=False)

    def action_show_view(self, view: str) -> None:
        if view == "forecast" and self.views.current == "floor":
            self.forecast_view.queue_key = self.queue_table.cursor_key or \
                self.forecast_view.queue_key
        if view == "agent" and self.agent_table.cursor_key is not None:
            self.agent_view.agent_key = self.agent_table.cursor_key
        if view == "help":
            self.help_view.show(self.keys)
        self.views.current = view
        self._render_all()
        focus = {"floor": self.agent_table, "alerts": self.alerts_view.board,
                 "forecast": self.forecast_view, "agent": self.agent_view,
                 "help": self.help_view, "incident": self.incident_view}[view]
        focus.focus()

    def _refresh_status(self) -> None:
        statuses = [feed.status() for feed in self.feeds]
        remote: dict[str, AckInfo] = {}
        for feed in self.feeds:
            if isinstance(feed.source, CollectorSource):
                remote.update(feed.source.remote_acks)
                if feed.source.role == "viewer" and self.permissions.can_write:
                    self.permissions = Permissions(
                        False, "this display's collector token is read-only (role viewer)"
                    )
        self.monitor.remote_acks = remote
        latest = next((f.latest for f in self.feeds if f.latest is not None), None)
        self.header.show(latest, statuses, self.views.current, self.permissions.can_write)
        self._mask_old_data(statuses)
        self._show_freshness(statuses)
        self._show_alerts(statuses)
        problems = self.problems
        lines = [s.last_error for s in statuses if s.last_error and s.health is not Health.OK]
        lines += [f"{f.source.name} plan: {f.plan_error}" for f in self.feeds if f.plan_error]
        lines += [f"{f.source.name} tickets: {f.tickets_error}" for f in self.feeds
                  if f.tickets_error]
        lines += [e for e in (self.outlook_error, self.monitor_error, self.monitor.journal_error)
                  if e]
        lines += self.theme_problems
        problems.set_class(bool(lines), "shown")
        _update_if_changed(problems, Text("\n".join(lines), no_wrap=True, overflow="ellipsis"))

    def _mask_old_data(self, statuses: list[FeedStatus]) -> None:
        # Numbers this old would mislead whoever acts on them; names and layout stay.
        for feed, status in zip(self.feeds, statuses, strict=True):
            old = status.age_s is not None and status.age_s > self.mask_after_s
            name = feed.source.name
            if old and name not in self.masked and feed.latest is not None:
                self.masked.add(name)
                self._apply(feed.latest, feed)

    def _show_freshness(self, statuses: list[FeedStatus]) -> None:
        """A full-width banner no one can miss: SOURCE DOWN or STALE, with the data's age."""
        parts = []
        worst = Health.OK
        for status in statuses:
            age = "no data yet" if status.age_s is None else f"data {format_age(status.age_s)} old"
            if status.health is Health.DOWN:
                worst = Health.DOWN
                parts.append(f"✖ SOURCE DOWN: {status.source}, {age}")
            elif status.health is Health.STALE:
                worst = Health.DOWN if worst is Health.DOWN else Health.STALE
                parts.append(f"⚠ STALE: {status.source}, {age}")
            if status.source in self.masked:
                parts[-1] += " (figures hidden)"
        self.freshness.set_class(worst is Health.DOWN, "down")
        self.freshness.set_class(worst is Health.STALE, "stale")
        # On a wall a down source takes the whole screen: no one reads old figures as live.
        # Not for one failed poll, though: a screen that goes red for a blip teaches the
        # room to ignore it.
        long_down = any(
            s.health is Health.DOWN and (s.age_s is None or s.age_s >= WALL_DOWN_AFTER_S)
            for s in statuses
        )
        self.set_class(self.wall and long_down, "source-down")
        _update_if_changed(
            self.freshness, Text("   ".join(parts), no_wrap=True, overflow="ellipsis")
        )

    def _show_alerts(self, statuses: list[FeedStatus]) -> None:
        try:
            self.alerts = self.monitor.tick(statuses)
        except Exception as exc:
            self.monitor_error = f"alerts failed: {type(exc).__name__}: {exc}"
            return
        self._show_alerts_now()
        self._announce(self.monitor.take_news())

    def _show_alerts_now(self) -> None:
        colours = rich_colours(self.get_css_variables())
        if self.views.current == "floor":
            # A pending alert has not lasted its `for` time yet: showing it would be the
            # flapping the lifecycle exists to prevent.
            shown = [a for a in self.alerts if a.state is not AlertState.PENDING]
            self.alert_table.show(shown, self.monitor.now, colours)
        elif self.views.current == "alerts":
            self.alerts_view.board.show(self.alerts, self.monitor.now, colours)
            self._show_alert_detail()

    def _show_alert_detail(self) -> None:
        key = self.alerts_view.board.cursor_key
        alert = next((a for a in self.alerts if a.fingerprint == key), None)
        trail: list[AuditEntry] = []
        journal = self.monitor.journal
        if alert is not None and journal is not None:
            try:
                trail = trail_of(journal.audit_entries(limit=500), alert.fingerprint)
            except Exception as exc:
                self.monitor_error = f"journal read failed: {type(exc).__name__}: {exc}"
        self.alerts_view.show_detail(alert, trail)

    def _announce(self, news: list[Alert]) -> None:
        """One toast per tick, however many alerts are news: on 80x24 a stack of toasts
        would cover the floor they are about."""
        if not news:
            return
        worst = max(news, key=lambda a: a.severity)
        severity = "error" if worst.severity >= 2 else "warning"
        self.clear_notifications()  # the newest news replaces the last, never stacks
        if len(news) == 1:
            self.notify(worst.reason, title=worst.title, timeout=8, severity=severity,
                        markup=False)
            return
        self.notify(
            f"worst: {worst.title}", title=f"{len(news)} new alerts", timeout=8,
            severity=severity, markup=False,
        )

    def action_acknowledge(self) -> None:
        table = self.alerts_view.board if self.views.current == "alerts" else self.alert_table
        key = table.cursor_key
        alert = next((a for a in self.alerts if a.fingerprint == key), None)
        if alert is None:
            self.notify("No alert selected to acknowledge.", severity="warning")
            return
        if not self.permissions.can_write:
            # Refused before the dialog too, so no one types a note for nothing; the
            # actions layer refuses again whatever the UI does.
            self.notify(self.permissions.reason, severity="warning", markup=False)
            return

        def done(request: AckRequest | None) -> None:
            if request is not None:
                self._acknowledge(alert, request)

        self.push_screen(AckDialog(alert.title, alert.reason, self.actor.label()), done)

    def _acknowledge(self, alert: Alert, request: AckRequest) -> None:
        feed = self._feed_of(alert.fingerprint.partition("/")[0])
        if feed is not None and isinstance(feed.source, CollectorSource):
            # The collector holds the shared journal: it checks, records and audits.
            self.run_worker(self._acknowledge_remotely(feed.source, alert, request))
            return
        try:
            ack = acknowledge(
                alert,
                journal=self.monitor.journal,
                actor=self.actor,
                permissions=self.permissions,
                at=self.monitor.now,
                note=request.note,
                expires_after_min=request.expires_after_min,
            )
        except ActionRefused as exc:
            self.notify(str(exc), title="Not acknowledged", severity="error", markup=False)
            return
        self.notify(f"{alert.title} (by {ack.who})", title="Acknowledged", markup=False)
        self._refresh_status()

    async def _acknowledge_remotely(
        self, source: CollectorSource, alert: Alert, request: AckRequest
    ) -> None:
        try:
            who = await source.acknowledge(alert.fingerprint, request.note,
                                           request.expires_after_min)
        except SourceError as exc:
            self.notify(str(exc), title="Not acknowledged", severity="error", markup=False)
            return
        self.notify(f"{alert.title} (by {who})", title="Acknowledged", markup=False)

    # --- looks ----------------------------------------------------------------------------

    def _use_theme(self, name: str) -> None:
        if name in self.themes:
            self.theme = name
            return
        fallback = DEFAULT_THEME if DEFAULT_THEME in self.themes else "textual-dark"
        if name != fallback:
            self.theme_problems.append(f"theme {name!r} not found; using {fallback}")
        self.theme = fallback

    def action_next_theme(self) -> None:
        names = sorted(self.themes)
        if not names:
            return
        at = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(at + 1) % len(names)]
        self.notify(self.theme, title=tr("Theme"), timeout=2, markup=False)
        self._save_state()
        self._render_all()  # colours in cells are taken from the theme when drawn

    def action_next_language(self) -> None:
        at = LANGUAGES.index(current_language())
        set_language(LANGUAGES[(at + 1) % len(LANGUAGES)])
        self._install_bindings()
        self.refresh_bindings()
        self.floor.relabel()
        self.alerts_view.board.rebuild()
        self.help_view.show(self.keys)
        self._save_state()
        self._render_all()
        self.notify(current_language(), title=tr("Language"), timeout=2, markup=False)

    # --- filter, sort, columns ----------------------------------------------------------

    def action_filter(self) -> None:
        if self.views.current != "floor":
            self.action_show_view("floor")
        self.floor.filter_input.add_class("shown")
        self.floor.filter_input.value = self.filter_text
        self.floor.filter_input.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input is self.floor.filter_input:
            self.filter_text = event.value.strip()
            self._render_all()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input is self.floor.filter_input:
            self._close_filter()

    def action_close_filter(self) -> None:
        if self.floor.filter_input.has_class("shown"):
            self._close_filter()

    def _close_filter(self) -> None:
        self.floor.filter_input.remove_class("shown")
        self.agent_table.focus()
        self._save_state()

    def _focused_table(self) -> tuple[str, LiveTable] | None:
        focused = self.focused
        tables = self._tables()
        for name, table in tables.items():
            if focused is table:
                return name, table
        if self.views.current == "alerts":
            return "alert-board", self.alerts_view.board
        if self.views.current == "floor":
            return "agents", self.agent_table
        return None

    def action_sort(self) -> None:
        found = self._focused_table()
        if found is None:
            return
        _, table = found
        columns = [(c.key, tr(c.label) or c.key) for c in table.COLUMNS
                   if c.key in table.shown_columns]

        def done(choice: tuple[str, bool] | None) -> None:
            if choice is not None:
                table.sort_by(*choice)
                self._save_state()

        self.push_screen(SortPicker(columns, table.sort_column, table.sort_reverse), done)

    def action_columns(self) -> None:
        found = self._focused_table()
        if found is None:
            return
        _, table = found
        columns = [(c.key, tr(c.label) or c.key) for c in table.COLUMNS]

        def done(hidden: list[str] | None) -> None:
            if hidden is not None:
                table.set_hidden(hidden)
                self._save_state()
                self._render_all()

        self.push_screen(ColumnPicker(columns, set(table.hidden)), done)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette lists the registry's actions, by their current keys."""
        for action in keymap.ACTIONS:
            if action.id == "palette" or (action.writes and not self.permissions.can_write):
                continue
            label, help_text = keymap.described(action)
            key = keymap.key_label(self.keys.get(action.id, action.key))
            yield SystemCommand(
                f"{label} ({key})", help_text,
                partial(self.run_action, action.action),
            )

    # --- reassignment ---------------------------------------------------------------------

    def _feed_of(self, source: str) -> Feed | None:
        return next((f for f in self.feeds if f.source.name == source), None)

    def action_toggle_select(self) -> None:
        key = self.agent_table.cursor_key
        if key is None:
            return
        self.selected.symmetric_difference_update({key})
        feed = self._feed_of(key.partition("/")[0])
        if feed is not None and feed.latest is not None:
            self._render(feed.latest, feed)

    def action_reassign(self) -> None:
        if not self.permissions.can_write:
            self.notify(self.permissions.reason, severity="warning", markup=False)
            return
        if self._stop_move is not None:
            self.notify("A move is already under way (x stops it).", severity="warning")
            return
        keys = sorted(self.selected) or (
            [self.agent_table.cursor_key] if self.agent_table.cursor_key else []
        )
        feed = self._feed_of(keys[0].partition("/")[0]) if keys else None
        if feed is None or feed.latest is None:
            self.notify("No agent selected (space selects, r reassigns).", severity="warning")
            return
        snapshot = feed.latest
        agents = picked_agents(snapshot, keys)
        cache = self._outlook_caches.get(snapshot.source)
        dialog = ReassignDialog(
            agents,
            {q.id: q.name for q in snapshot.queues},
            previewer(snapshot, agents, None if cache is None else cache.interval),
            as_of=snapshot.as_of,
            data_age_s=feed.status().age_s,
        )

        def done(request: ReassignRequest | None) -> None:
            if request is not None:
                self.run_worker(self._move(feed, snapshot, request), group="move")

        self.push_screen(dialog, done)

    def action_stop_move(self) -> None:
        if self._stop_move is not None:
            self._stop_move.set()
            self.notify("Stopping after the agent in hand.", severity="warning")

    async def _move(self, feed: Feed, snapshot: FloorSnapshot, request: ReassignRequest) -> None:
        changes = agent_changes(snapshot, request.changes)
        self._stop_move = asyncio.Event()
        total = len(changes)

        def progress(done: int, _total: int, result: ChangeResult) -> None:
            self.notify(f"{done}/{total}: {result.message}", markup=False,
                        severity="information" if result.outcome == "done" else "warning")

        try:
            results = await reassign(
                changes, source=feed.source, journal=self.monitor.journal, actor=self.actor,
                permissions=self.permissions, at=lambda: self.monitor.now,
                progress=progress, cancel=self._stop_move,
                queue_names={q.id: q.name for q in snapshot.queues},
            )
        except ActionRefused as exc:
            self.notify(str(exc), title="Nothing moved", severity="error", markup=False)
            return
        finally:
            self._stop_move = None
        moved = sum(r.outcome == "done" for r in results)
        self.notify(
            f"{moved} of {total} moved; watching the floor to confirm.",
            title="Reassignment", severity="information" if moved == total else "warning",
        )
        self.watching.expect(snapshot.source, results, changes, self.monitor.now)
        self.selected.clear()
        audit_ids = [r.audit_id for r in results if r.outcome == "done" and r.audit_id]
        if audit_ids:
            self.last_move = (snapshot.source, audit_ids[0], len(audit_ids))

    def action_undo_move(self) -> None:
        if not self.permissions.can_write:
            self.notify(self.permissions.reason, severity="warning", markup=False)
            return
        if self.last_move is None:
            self.notify("No move made here to undo (floorview undo ID undoes any).",
                        severity="warning")
            return
        source, audit_id, count = self.last_move
        feed = self._feed_of(source)

        def done(yes: bool | None) -> None:
            if yes and feed is not None:
                self.run_worker(self._undo(feed, audit_id), group="move")

        self.push_screen(
            ConfirmDialog(f"Put back the {count} agent(s) of move #{audit_id}?", "Undo move"),
            done,
        )

    async def _undo(self, feed: Feed, audit_id: int) -> None:
        try:
            results = await undo(
                audit_id, source=feed.source, journal=self.monitor.journal, actor=self.actor,
                permissions=self.permissions, at=lambda: self.monitor.now,
            )
        except ActionRefused as exc:
            self.notify(str(exc), title="Nothing undone", severity="error", markup=False)
            return
        back = sum(r.outcome == "done" for r in results)
        self.notify("\n".join(r.message for r in results if r.outcome != "done") or "",
                    title=f"{back} of {len(results)} put back", markup=False,
                    severity="information" if back == len(results) else "warning")
        self.last_move = None

    def _confirm_moves(self, snapshot: FloorSnapshot) -> None:
        seen, overdue = self.watching.check(snapshot)
        if seen:
            self.notify(", ".join(seen), title="Confirmed on the floor", markup=False)
        if overdue:
            self.notify(
                ", ".join(overdue), title="Unverified: the floor does not show the change",
                severity="error", markup=False,
            )

    # --- the incident bridge ---------------------------------------------------------------

    def bridge_text(self) -> str:
        results = []
        lines: dict[str, list[AlertLine]] = {}
        for feed in self.feeds:
            name, status = feed.source.name, feed.status()
            results.append(SourceResult(
                name, feed.latest, self.outlooks.get(name, {}),
                None if feed.latest is not None else status.last_error or "no data yet",
                feed.plan_error, feed.plan, tuple(feed.tickets or ()),
            ))
            lines[name] = [
                AlertLine(a.title, a.reason, a.severity, None if a.ack is None else a.ack.who,
                          "" if a.ack is None else a.ack.note)
                for a in self.alerts
                if a.fingerprint.startswith(f"{name}/")
                and a.state in (AlertState.FIRING, AlertState.ACKNOWLEDGED)
            ]
        return to_markdown(results, self.outlook_settings, alerts=lines)

    def action_bridge_summary(self) -> None:
        text = self.bridge_text()
        path = self.files_dir / f"bridge-{stamp(self.monitor.now)}.md"
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            self.notify(str(exc), title="Summary not written", severity="error", markup=False)
            return
        # OSC 52: the terminal (and tmux with set-clipboard on) puts it on the clipboard;
        # where it does not, the file is there.
        self.copy_to_clipboard(text)
        self.notify(f"{path}\nand copied to the clipboard where the terminal allows",
                    title="Bridge summary", timeout=10, markup=False)

    def action_save_svg(self) -> None:
        name = f"floorview-{stamp(self.monitor.now)}.svg"
        try:
            path = self.save_screenshot(filename=name, path=str(self.files_dir))
        except OSError as exc:
            self.notify(str(exc), title="Screenshot not saved", severity="error", markup=False)
            return
        self.notify(path, title="Screenshot", timeout=8, markup=False)

    # --- a wall cannot be stopped or taken over from its keyboard -----------------------

    async def action_quit(self) -> None:
        if not self.wall:
            await super().action_quit()

    def action_help_quit(self) -> None:
        if not self.wall:
            super().action_help_quit()

    def action_suspend_process(self) -> None:
        if not self.wall:
            super().action_suspend_process()

    def action_command_palette(self) -> None:
        if not self.wall:
            super().action_command_palette()

    async def on_unmount(self) -> None:
        for feed in self.feeds:
            await feed.source.aclose()
