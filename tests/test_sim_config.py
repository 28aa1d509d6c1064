"""The simulator's command-line options and config checks."""

from __future__ import annotations

import argparse
import datetime as dt
import math

import pytest

from floorview.sim.config import SimConfig, Surge, add_sim_arguments, config_from_args


def parse(*argv: str) -> SimConfig:
    parser = argparse.ArgumentParser()
    add_sim_arguments(parser)
    return config_from_args(parser.parse_args(argv))


def test_defaults() -> None:
    config = parse()
    assert config == SimConfig()
    assert config.start_at == dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


def test_options() -> None:
    config = parse("--seed", "42", "--speed", "60", "--start", "07:30", "--date", "2027-01-04",
                   "--agents", "120", "--queues", "9")
    assert (config.seed, config.speed, config.start) == (42, 60.0, dt.time(7, 30))
    assert (config.date, config.n_agents, config.n_queues) == (dt.date(2027, 1, 4), 120, 9)


@pytest.mark.parametrize(
    "argv",
    [("--speed", "0"), ("--speed", "nan"), ("--seed", "-1"), ("--start", "25:00"),
     ("--date", "tomorrow"), ("--agents", "0")],
)
def test_bad_options_are_rejected(argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse(*argv)
    assert argv[0] in capsys.readouterr().err


def test_bad_configs_are_rejected() -> None:
    with pytest.raises(ValueError):
        SimConfig(speed=-1)
    with pytest.raises(ValueError):
        SimConfig(n_agents=0)
    with pytest.raises(ValueError):
        SimConfig(patience_s=0)
    naive = dt.datetime(2026, 11, 23, 9)
    with pytest.raises(ValueError):
        SimConfig(surges=(Surge("q-billing", naive, naive + dt.timedelta(hours=1)),))
    assert SimConfig(patience_s=math.inf).patience_s == math.inf
