"""Fault injection in the simulator: the spec, the draws, and what a client sees of each
fault over a real loopback socket."""

from __future__ import annotations

import argparse
import datetime as dt
import email.utils
import json
import logging
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from floorview.sim import wire
from floorview.sim.api import create_app
from floorview.sim.config import SimConfig, add_sim_arguments, config_from_args
from floorview.sim.engine import Simulator
from floorview.sim.faults import (
    DroppedConnection,
    FaultInjector,
    FaultSpec,
    drift,
    parse_fault_spec,
)
from floorview.sim.server import RunningSim, start_in_thread
from floorview.sources.intervals import parse_forecast
from floorview.sources.parse import SchemaError
from floorview.sources.rest import parse_floor

SMALL = {"n_agents": 8, "n_queues": 2, "seed": 5}


def frozen() -> float:
    return 100.0


@contextmanager
def serve(spec: str | None, *, seed: int = 5) -> Iterator[RunningSim]:
    faults = None if spec is None else parse_fault_spec(spec)
    running = start_in_thread(SimConfig(**{**SMALL, "seed": seed}, faults=faults), clock=frozen)
    try:
        yield running
    finally:
        running.stop()


@contextmanager
def client(running: RunningSim, timeout: float = 5.0) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=running.url, timeout=timeout) as c:
        yield c


# --- The spec ------------------------------------------------------------------------------


def test_a_full_spec_is_read() -> None:
    spec = parse_fault_spec(
        "latency=0.3:2.0, 5xx=0.1, 429=0.05:retry=3, timeout=0.02, malformed=0.05,"
        "truncated=0.05,drift=0.05,drop=0.05,TRICKLE=0.02:4,huge=0.01:5,only=/v1/floor"
    )
    assert (spec.latency, spec.latency_s) == (0.3, 2.0)
    assert (spec.server_error, spec.server_error_status) == (0.1, 503)
    assert (spec.rate_limited, spec.retry_after) == (0.05, "3")
    assert (spec.timeout, spec.timeout_s) == (0.02, 60.0)
    assert (spec.trickle, spec.trickle_bytes_per_s) == (0.02, 4.0)
    assert (spec.huge, spec.huge_mb) == (0.01, 5.0)
    assert spec.malformed == spec.truncated == spec.drift == spec.drop == 0.05
    assert spec.only == ("/v1/floor",)
    assert parse_fault_spec(str(spec)) == spec


def test_defaults_and_parameters() -> None:
    spec = parse_fault_spec("5xx=0.2:502,429=0.1:retry=date+5,trickle=0.1,huge=0.1")
    assert spec.server_error_status == 502 and spec.retry_after == "date+5"
    assert spec.trickle_bytes_per_s == 1.0 and spec.huge_mb == 50.0
    assert parse_fault_spec("429=1").retry_after == "2"
    assert parse_fault_spec("latency=1").latency_s == 1.0
    assert parse_fault_spec("5xx=0.1,drop=0.2,only=/v1/floor,only=/v1/intervals").only == (
        "/v1/floor", "/v1/intervals",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lag=0.1", "unknown fault 'lag' (known: latency, timeout, 5xx, 429"),
        ("5xx", "'5xx': expected KIND=RATE"),
        ("5xx=2", "'5xx=2': rate must be from 0 to 1"),
        ("5xx=-0.1", "rate must be from 0 to 1"),
        ("5xx=often", "'5xx=often': rate must be a number, got 'often'"),
        ("5xx=nan", "rate must be a finite number"),
        ("5xx=0.1:404", "status must be 500..599"),
        ("5xx=0.1:bad", "status must be a number 500..599, got 'bad'"),
        ("429=0.1:wait=3", "429 takes retry=SECONDS, date, date+SECONDS, junk or none"),
        ("429=0.1:retry=later", "retry must be SECONDS, date, date+SECONDS, junk or none"),
        ("drop=0.1:5", "'drop=0.1:5': drop takes no parameters"),
        ("latency=0.5:1:2", "latency takes one parameter"),
        ("latency=0.5:-1", "latency: seconds must be 0 or more"),
        ("timeout=0.5:0", "timeout: seconds must be more than 0"),
        ("trickle=0.5:0", "trickle: bytes per second must be more than 0"),
        ("huge=0.5:lots", "size in MB must be a number"),
        ("5xx=0.6,drop=0.6", "add up to 1.2, more than 1"),
        ("5xx=0.1,5xx=0.2", "fault '5xx' given twice"),
        ("", "empty fault spec"),
        ("5xx=0.1,,drop=0.1", "empty item"),
        ("only=v1/floor", "only: a path must start with '/'"),
    ],
)
def test_a_bad_spec_names_its_bad_part(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_fault_spec(text)
    assert message in str(info.value)


def test_latency_combines_with_the_other_faults() -> None:
    spec = parse_fault_spec("latency=1.0,5xx=0.5,drop=0.5")
    assert spec.latency == 1.0
    with pytest.raises(ValueError, match="add up to"):
        FaultSpec(drop=0.5, huge=0.6)


def test_faults_on_the_command_line() -> None:
    parser = argparse.ArgumentParser(prog="floorview sim")
    add_sim_arguments(parser)
    assert config_from_args(parser.parse_args([])).faults is None
    args = parser.parse_args(["--faults", "5xx=0.1,drop=0.05"])
    assert config_from_args(args).faults == FaultSpec(server_error=0.1, drop=0.05)


def test_a_bad_spec_on_the_command_line_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = argparse.ArgumentParser(prog="floorview sim")
    add_sim_arguments(parser)
    with pytest.raises(SystemExit) as info:
        parser.parse_args(["--faults", "latency=0.3:2,lag=0.1"])
    assert info.value.code == 2
    assert "--faults: unknown fault 'lag' (known: latency, timeout" in capsys.readouterr().err


# --- Draws and drift, without a server -----------------------------------------------------


async def nothing(scope: Scope, receive: Receive, send: Send) -> None:
    pass


def outcomes(spec: str, seed: int, n: int) -> list[tuple[bool, str | None]]:
    injector = FaultInjector(nothing, parse_fault_spec(spec), seed)
    return [injector.draw() for _ in range(n)]


def test_draws_are_seeded_and_follow_the_rates() -> None:
    spec = "latency=0.2,5xx=0.3,drop=0.1"
    first = outcomes(spec, 7, 4000)
    assert first == outcomes(spec, 7, 4000)
    assert first != outcomes(spec, 8, 4000)
    share = {
        kind: sum(1 for _, k in first if k == kind) / len(first) for kind in ("5xx", "drop", None)
    }
    assert share["5xx"] == pytest.approx(0.3, abs=0.03)
    assert share["drop"] == pytest.approx(0.1, abs=0.02)
    assert share[None] == pytest.approx(0.6, abs=0.03)
    assert sum(delayed for delayed, _ in first) / len(first) == pytest.approx(0.2, abs=0.03)
    assert set(outcomes("latency=1,drop=1", 1, 50)) == {(True, "drop")}
    assert set(outcomes("drop=0", 1, 50)) == {(False, None)}


def test_drift_always_breaks_the_schema() -> None:
    sim = Simulator(SimConfig(**SMALL))
    sim.run_until(10.5 * 3600)
    floor = wire.floor(sim)
    parse_floor(floor, "sim")  # the unbroken document is fine
    forecast = wire.forecast(sim, sim.now.date())
    parse_forecast(forecast)
    rng = random.Random(1)
    seen: set[str] = set()
    for _ in range(300):
        document = json.loads(json.dumps(floor))
        what = drift(document, rng)
        assert what is not None
        seen.add(what.split(" is ", 1)[1])
        with pytest.raises(SchemaError):
            parse_floor(document, "sim")
    assert {"a string", "null", "missing"} <= seen and any(s.startswith("'") for s in seen)
    for _ in range(100):
        document = json.loads(json.dumps(forecast))
        assert drift(document, rng) is not None
        with pytest.raises(SchemaError):
            parse_forecast(document)


async def test_a_drop_without_a_server_connection_raises() -> None:
    app = create_app(Simulator(SimConfig(**SMALL, faults=parse_fault_spec("drop=1"))), frozen)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as c:
        with pytest.raises(DroppedConnection):
            await c.get("/v1/floor")
        assert (await c.get("/v1/health")).status_code == 200


# --- Over loopback -------------------------------------------------------------------------


def test_latency_delays_a_good_answer() -> None:
    with serve("latency=1.0:0.3") as running, client(running) as c:
        started = time.monotonic()
        response = c.get("/v1/floor")
        assert time.monotonic() - started >= 0.29
        assert response.status_code == 200
        parse_floor(response.json(), "sim")
        assert running.app.state.faults == {"latency": 1}


def test_timeout_never_answers_in_time() -> None:
    with serve("timeout=1.0:30") as running, client(running, timeout=0.3) as c:
        with pytest.raises(httpx.ReadTimeout):
            c.get("/v1/floor")
        assert c.get("/v1/health").status_code == 200
        assert running.app.state.faults["timeout"] == 1


@pytest.mark.parametrize(("spec", "status"), [("5xx=1.0", 503), ("5xx=1.0:500", 500)])
def test_server_errors(spec: str, status: int) -> None:
    with serve(spec) as running, client(running) as c:
        response = c.get("/v1/floor")
        assert response.status_code == status
        assert response.json()["error"] in ("service_unavailable", "internal_server_error")
        assert response.headers["x-floorview-fault"] == "5xx"
        assert running.app.state.faults["5xx"] == 1


@pytest.mark.parametrize("retry", ["3", "date", "junk", "none"])
def test_rate_limited_with_retry_after(retry: str) -> None:
    with serve(f"429=1.0:retry={retry}") as running, client(running) as c:
        response = c.get("/v1/floor")
        assert response.status_code == 429
        value = response.headers.get("retry-after")
        if retry == "3":
            assert value == "3"
        elif retry == "date":
            assert value is not None
            when = email.utils.parsedate_to_datetime(value)
            ahead = (when - dt.datetime.now(dt.UTC)).total_seconds()
            assert 0 < ahead <= 4
        elif retry == "junk":
            assert value is not None and not value.isdigit()
            with pytest.raises((TypeError, ValueError)):
                email.utils.parsedate_to_datetime(value)
        else:
            assert value is None
        assert running.app.state.faults["429"] == 1


def test_malformed_bodies_are_not_json() -> None:
    with serve("malformed=1.0") as running, client(running) as c:
        for _ in range(8):
            response = c.get("/v1/floor")
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/json"
            with pytest.raises(ValueError):
                json.loads(response.content)
        assert running.app.state.faults["malformed"] == 8


def test_truncated_bodies_are_the_first_half() -> None:
    with serve(None) as clean, client(clean) as c:
        whole = c.get("/v1/floor").content
    with serve("truncated=1.0") as running, client(running) as c:
        response = c.get("/v1/floor")
    assert response.status_code == 200
    assert response.content == whole[: len(whole) // 2]
    assert int(response.headers["content-length"]) == len(response.content)
    with pytest.raises(ValueError):
        response.json()


def test_drift_sends_json_that_breaks_the_schema() -> None:
    with serve("drift=1.0") as running, client(running) as c:
        for _ in range(6):
            response = c.get("/v1/floor")
            assert response.status_code == 200
            assert response.headers["x-floorview-fault"].startswith("drift; ")
            with pytest.raises(SchemaError):
                parse_floor(response.json(), "sim")
        assert running.app.state.faults["drift"] == 6


def test_drop_closes_the_connection_without_an_answer(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    with serve("drop=1.0") as running, client(running) as c:
        for _ in range(2):
            with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
                c.get("/v1/floor")
        assert c.get("/v1/health").status_code == 200
        assert running.app.state.faults["drop"] == 2
    # A real drop, not a 500 from uvicorn complaining about the app.
    assert not [r for r in caplog.records if r.name.startswith("uvicorn")]


def test_trickle_starts_an_answer_and_stalls() -> None:
    with (
        serve("trickle=1.0") as running,
        client(running, timeout=0.3) as c,
        c.stream("GET", "/v1/floor") as response,
    ):
        assert response.status_code == 200
        assert int(response.headers["content-length"]) > 1000
        with pytest.raises(httpx.ReadTimeout):
            response.read()


def test_a_fast_trickle_still_delivers_the_floor() -> None:
    with serve("trickle=1.0:20000") as running, client(running) as c:
        started = time.monotonic()
        response = c.get("/v1/floor")
        elapsed = time.monotonic() - started
    parse_floor(response.json(), "sim")
    assert elapsed >= 0.8 * len(response.content) / 20000


def test_huge_bodies_are_streamed() -> None:
    with serve("huge=1.0") as running, client(running) as c:
        with c.stream("GET", "/v1/floor") as response:
            assert response.status_code == 200 and "content-length" not in response.headers
            read = 0
            for chunk in response.iter_raw():
                if read == 0:
                    assert chunk.startswith(b'{"api_version": 1')
                read += len(chunk)
                if read > 5 * 1024 * 1024:
                    break
        assert read > 5 * 1024 * 1024
        assert c.get("/v1/health").status_code == 200
    with serve("huge=1.0:2") as running, client(running) as c:
        response = c.get("/v1/floor")
        assert len(response.content) == 2 * 1024 * 1024
        assert response.json()["api_version"] == 1


def test_health_is_never_faulted_and_reports_the_counts() -> None:
    with serve("drop=1.0,latency=1.0:5") as running, client(running) as c:
        for _ in range(3):
            health = c.get("/v1/health")
            assert health.status_code == 200
        assert health.json()["faults"] == {"spec": "latency=1:5,drop=1", "injected": {}}
        assert running.app.state.faults == {}
    with serve(None) as running, client(running) as c:
        assert "faults" not in c.get("/v1/health").json()


def test_only_faults_the_paths_given() -> None:
    with serve("5xx=1.0,only=/v1/floor") as running, client(running) as c:
        assert c.get("/v1/floor").status_code == 503
        assert c.get("/v1/forecast").status_code == 200
        assert c.get("/v1/tickets").status_code == 200


def test_faults_are_reproducible_and_leave_the_floor_alone() -> None:
    def statuses(running: RunningSim) -> tuple[list[int], set[bytes]]:
        with client(running) as c:
            responses = [c.get("/v1/floor") for _ in range(16)]
        return [r.status_code for r in responses], {r.content for r in responses if r.is_success}

    with serve(None) as clean, client(clean) as c:
        whole = c.get("/v1/floor").content
    with serve("5xx=0.5") as first:
        codes, bodies = statuses(first)
        t = first.app.state.sim.t
    with serve("5xx=0.5") as again:
        assert statuses(again)[0] == codes
        assert again.app.state.sim.t == t
    assert set(codes) == {200, 503}
    assert bodies == {whole}


def test_a_refused_put_is_not_applied() -> None:
    with serve("5xx=1.0,only=/v1/agents") as running, client(running) as c:
        agent = c.get("/v1/floor").json()["agents"][0]
        put = c.put(
            f"/v1/agents/{agent['id']}/queues",
            json={"queues": agent["queues"][:1], "expected_version": agent["version"]},
        )
        assert put.status_code == 503
        assert c.get("/v1/floor").json()["agents"][0]["version"] == agent["version"]
