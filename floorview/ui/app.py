"""The floorview Textual app: renders feeds' snapshots; never does I/O of its own."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Footer, Static

from floorview.actions import (
    ActionRefused,
    ChangeResult,
    Permissions,
    acknowledge,
    reassign,
    undo,
)
from floorview.alerts import Alert, AlertState
from floorview.analytics.outlook import (
    OutlookCache,
    OutlookSettings,
    QueueOutlook,
    current_outlook,
)
from floorview.feed import Feed, FeedStatus, Health
from floorview.identity import Actor, current_actor
from floorview.model import FloorSnapshot
from floorview.monitor import Monitor
from floorview.ui.ack_dialog import AckDialog, AckRequest
from floorview.ui.alert_table import AlertTable
from floorview.ui.format import age as format_age
from floorview.ui.header import FloorHeader
from floorview.ui.reassign_dialog import ConfirmDialog, ReassignDialog, ReassignRequest
from floorview.ui.reassign_flow import Watching, agent_changes, picked_agents, previewer
from floorview.ui.tables import AgentTable, QueueTable
from floorview.ui.themes import DEFAULT_THEME, load_themes
from floorview.ui.themes import theme_dirs as find_theme_dirs
from floorview.ui.user_state import UserState, load_state, save_state

#: Past this age a source's figures are hidden rather than shown as if they were current.
DEFAULT_MASK_AFTER_S = 120.0


class FloorApp(App[None]):
    TITLE = "floorview"
    CSS = """
    #boards { height: 1fr; }
    QueueTable { height: auto; max-height: 40%; }
    AlertTable { height: auto; max-height: 30%; }
    AgentTable { height: 1fr; }
    #freshness { height: auto; padding: 0 1; display: none; text-style: bold; }
    #freshness.stale { display: block; background: $warning; color: $text; }
    #freshness.down { display: block; background: $error; color: $text; }
    #problems { height: auto; color: $error; padding: 0 1; display: none; }
    #problems.shown { display: block; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("a", "acknowledge", "Ack alert", id="acknowledge"),
        Binding("r", "reassign", "Reassign", id="reassign"),
        Binding("space", "toggle_select", "Select agent", id="select"),
        Binding("u", "undo_move", "Undo move", id="undo-move"),
        Binding("x", "stop_move", "Stop move", id="stop-move", show=False),
        Binding("t", "next_theme", "Theme", id="theme", show=False),
    ]

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
    ) -> None:
        super().__init__()
        self.monitor = monitor or Monitor()
        self.themes, self.theme_problems = load_themes(
            find_theme_dirs() if theme_dirs is None else theme_dirs
        )
        #: Where on-screen choices are kept between runs; None keeps nothing (tests).
        self.state_file = state_file
        saved = None if state_file is None else load_state(state_file).theme
        # A choice made on screen outlives the config's default until changed on screen.
        self._wanted_theme = saved if saved in self.themes else theme
        self.actor = actor or current_actor()
        self.permissions = permissions or Permissions()
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
        self.tick_s = tick_s
        self.mask_after_s = mask_after_s
        self.snapshots_applied = 0
        #: Sources whose figures are masked because their data is too old to act on.
        self.masked: set[str] = set()
        # Held directly: timers and the poll workers may still fire while the app shuts
        # down, when a DOM query would no longer find them.
        self.header = FloorHeader(id="header")
        self.freshness = Static(id="freshness")
        self.queue_table = QueueTable(id="queues")
        self.alert_table = AlertTable(id="alerts")
        self.agent_table = AgentTable(id="agents")
        self.problems = Static(id="problems")

    def compose(self) -> ComposeResult:
        yield self.header
        yield self.freshness
        with Vertical(id="boards"):
            yield self.queue_table
            yield self.alert_table
            yield self.agent_table
        yield self.problems
        yield Footer()

    def on_mount(self) -> None:
        for loaded in self.themes.values():
            self.register_theme(loaded)
        self._use_theme(self._wanted_theme)
        self.agent_table.focus()
        self._refresh_status()
        for feed in self.feeds:
            self.run_worker(self._poll_forever(feed), group=f"poll:{feed.source.name}")
        # Ages keep counting between polls; this is what makes a stalled source visible.
        self.set_interval(self.tick_s, self._refresh_status)

    async def _poll_forever(self, feed: Feed) -> None:
        # One poll in flight per source: the next one is armed only after this one finishes.
        while True:
            snapshot = await feed.poll_once()
            if snapshot is not None:
                self.masked.discard(feed.source.name)
                self._apply(snapshot, feed, fresh=True)
            self._refresh_status()
            await asyncio.sleep(feed.next_delay_s())

    def _apply(self, snapshot: FloorSnapshot, feed: Feed, *, fresh: bool = False) -> None:
        colours = self.get_css_variables()
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
        if fresh:
            try:
                self.monitor.observe(snapshot, outlook=outlook, tickets=feed.tickets)
            except Exception as exc:  # alerts are a layer on the floor, not a reason to lose it
                self.monitor_error = f"alerts failed: {type(exc).__name__}: {exc}"
            else:
                self.monitor_error = None
        with self.batch_update():
            self.queue_table.show(snapshot, outlook, colours, masked=masked)
            self.agent_table.show(
                snapshot, colours, masked=masked, flagged=self.monitor.stress(snapshot.source),
                selected=self.selected,
            )
        self.snapshots_applied += 1
        if fresh:
            self._confirm_moves(snapshot)

    def _refresh_status(self) -> None:
        statuses = [feed.status() for feed in self.feeds]
        latest = next((f.latest for f in self.feeds if f.latest is not None), None)
        self.header.show(latest, statuses)
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
        problems.update(Text("\n".join(lines), no_wrap=True, overflow="ellipsis"))

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
        self.freshness.update(Text("   ".join(parts), no_wrap=True, overflow="ellipsis"))

    def _show_alerts(self, statuses: list[FeedStatus]) -> None:
        try:
            self.alerts = self.monitor.tick(statuses)
        except Exception as exc:
            self.monitor_error = f"alerts failed: {type(exc).__name__}: {exc}"
            return
        # A pending alert has not lasted its `for` time yet: showing it would be the flapping
        # the lifecycle exists to prevent.
        shown = [a for a in self.alerts if a.state is not AlertState.PENDING]
        self.alert_table.show(shown, self.monitor.now, self.get_css_variables())
        self._announce(self.monitor.take_news())

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
        key = self.alert_table.cursor_key
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
        self.notify(self.theme, title="Theme", timeout=2, markup=False)
        if self.state_file is not None:
            try:
                save_state(self.state_file, UserState(theme=self.theme))
            except OSError as exc:  # a read-only home must not cost the session
                self.theme_problems.append(f"theme choice not saved: {exc}")
        for feed in self.feeds:  # colours in cells are taken from the theme when drawn
            if feed.latest is not None:
                self._apply(feed.latest, feed)

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
            self._apply(feed.latest, feed)

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

    async def on_unmount(self) -> None:
        for feed in self.feeds:
            await feed.source.aclose()
