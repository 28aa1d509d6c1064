from pathlib import Path

import pytest

from floorview.cli import main
from floorview.config import ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parent.parent

GOOD = """\
[display]
title = "Floor 3"

[[sources]]
name = "acd"
kind = "rest"
url = "http://127.0.0.1:9000"

[[sources]]
name = "backup"
kind = "rest"
url = "https://acd.example.com/"
poll_interval_s = 5
timeout_s = 2.5
"""


def test_example_config_is_valid() -> None:
    config = load_config(ROOT / "config.example.toml")
    assert [s.name for s in config.sources] == ["sim"]
    assert config.sources[0].url == "http://127.0.0.1:8765"
    assert config.sources[0].poll_interval_s == 2.0


def test_defaults_and_int_to_float() -> None:
    config = parse_config(GOOD, Path("floor.toml"))
    assert config.display.title == "Floor 3"
    assert config.sources[0].poll_interval_s == 2.0
    assert config.sources[1].poll_interval_s == 5.0
    assert isinstance(config.sources[1].poll_interval_s, float)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        # Each error names the file, the line, and the dotted key.
        (("timeout_s = 2.5", "timeout_s = 500"), "floor.toml:14: sources[1].timeout_s: must be"),
        (("timeout_s = 2.5", 'timeout_s = "fast"'), "floor.toml:14: sources[1].timeout_s: must be a number"),
        (("timeout_s = 2.5", "timeout_s = true"), "floor.toml:14: sources[1].timeout_s: must be a number"),
        (("poll_interval_s = 5", "poll_intervall_s = 5"), "floor.toml:13: sources[1].poll_intervall_s: unknown key"),
        (('kind = "rest"\nurl = "http://127.0.0.1:9000"', 'kind = "avaya"\nurl = "http://127.0.0.1:9000"'), "floor.toml:6: sources[0].kind: must be one of rest"),
        (('url = "https://acd.example.com/"', 'url = "ftp://x"'), "floor.toml:12: sources[1].url: must be an http(s) URL"),
        (('title = "Floor 3"', 'titel = "Floor 3"'), "floor.toml:2: display.titel: unknown key"),
        (('name = "backup"', 'name = "acd"'), "floor.toml:10: sources[1].name: duplicate source name"),
        (('name = "backup"\n', ""), "floor.toml:9: sources[1]: missing required key 'name'"),
    ],
)
def test_errors_name_file_line_and_key(edit: tuple[str, str], expected: str) -> None:
    old, new = edit
    assert old in GOOD
    with pytest.raises(ConfigError) as info:
        parse_config(GOOD.replace(old, new, 1), Path("floor.toml"))
    assert str(info.value).startswith(expected), str(info.value)


def test_unknown_top_level_table() -> None:
    with pytest.raises(ConfigError, match=r"x.toml:1: alarms: unknown key"):
        parse_config("[alarms]\nx = 1\n" + GOOD.split("[display]")[0], Path("x.toml"))


def test_no_sources() -> None:
    with pytest.raises(ConfigError, match="at least one"):
        parse_config('[display]\ntitle = "x"\n', Path("x.toml"))


def test_toml_syntax_error_has_line() -> None:
    with pytest.raises(ConfigError, match=r"x.toml: not valid TOML: .*line 2"):
        parse_config('[display]\ntitle = \n', Path("x.toml"))


def test_check_config_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", str(ROOT / "config.example.toml")]) == 0
    assert "OK" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD.replace("timeout_s = 2.5", "timeout_s = -1"))
    assert main(["check-config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:14: sources[1].timeout_s: must be between" in err
    assert "Traceback" not in err
    assert main(["check-config", str(tmp_path / "missing.toml")]) == 2
    assert "cannot read config" in capsys.readouterr().err


REFORECAST = GOOD + """
[reforecast]
volume_k = 10
decay = 0.1
exclude = ["q-billing 09:30"]
forecast_csv = "plan.csv"

[reforecast.volume_override]
q-sales = 1.3
"""


def test_reforecast_section(tmp_path: Path) -> None:
    config = parse_config(REFORECAST, tmp_path / "floor.toml")
    r = config.reforecast
    assert dict(r.tuning) == {"volume_k": 10.0, "decay": 0.1} and r.patience_s is None
    assert r.exclude == (("q-billing", "09:30"),)
    assert r.volume_override == (("q-sales", 1.3),)
    assert r.forecast_csv == (tmp_path / "plan.csv").resolve()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('exclude = ["q-billing 09:30"]', 'exclude = ["q-billing 9:30"]', "floor.toml:19: reforecast.exclude: each entry must look like"),
        ('exclude = ["q-billing 09:30"]', 'exclude = ["q-billing 09:20"]', "floor.toml:19: reforecast.exclude: 'q-billing 09:20' does not start a 15-minute interval"),
        ("q-sales = 1.3", "q-sales = -1", "floor.toml:22: reforecast.volume_override: q-sales: must be a ratio"),
        ("decay = 0.1", "decay = 1", "floor.toml:18: reforecast.decay: must be between 0 and 0.99"),
        ("decay = 0.1", "decai = 0.1", "floor.toml:18: reforecast.decai: unknown key"),
    ],
)
def test_reforecast_errors(old: str, new: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(REFORECAST.replace(old, new), Path("floor.toml"))
    assert str(info.value).startswith(expected), str(info.value)


def test_check_config_loads_the_forecast_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "floor.toml"
    config.write_text(REFORECAST)
    assert main(["check-config", str(config)]) == 2
    assert "reforecast.forecast_csv:" in capsys.readouterr().err
    (tmp_path / "plan.csv").write_text(
        "queue,start,volume,aht_s,scheduled_agents\n"
        "q-sales,2026-11-23T09:00:00Z,40,300,9\n"
        "q-sales,2026-11-23T09:15:00Z,forty,300,9\n"
    )
    assert main(["check-config", str(config)]) == 2
    assert "plan.csv:3: column volume: not a number" in capsys.readouterr().err
    (tmp_path / "plan.csv").write_text("queue,start,volume,aht_s,scheduled_agents\nq-sales,2026-11-23T09:00:00Z,40,300,9\n")
    assert main(["check-config", str(config)]) == 0


def test_reforecast_tuning_defaults_come_from_the_maths_module(tmp_path: Path) -> None:
    from floorview.analytics.reforecast import ReforecastParams
    from floorview.cli import outlook_settings

    assert outlook_settings(parse_config(GOOD, tmp_path / "f.toml")).params == ReforecastParams()
    tuned = outlook_settings(parse_config(GOOD + "[reforecast]\nnoise_z = 0\n", tmp_path / "f.toml"))
    assert tuned.params == ReforecastParams(noise_z=0.0)


def test_journal_path_defaults_to_the_state_dir_and_resolves_relative_to_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert parse_config(GOOD, tmp_path / "floor.toml").journal.path == (
        tmp_path / "state" / "floorview" / "journal.sqlite3"
    )
    config = parse_config(GOOD + '\n[journal]\npath = "shared/j.sqlite3"\n', tmp_path / "f.toml")
    assert config.journal.path == tmp_path / "shared" / "j.sqlite3"
    with pytest.raises(ConfigError, match=r"f.toml:17: journal.path: must be a string"):
        parse_config(GOOD + "\n[journal]\npath = 3\n", tmp_path / "f.toml")


def test_audit_command_prints_the_trail_of_the_configured_journal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime

    from floorview.identity import current_actor
    from floorview.journal import Journal

    config = tmp_path / "floor.toml"
    config.write_text(GOOD + '\n[journal]\npath = "j.sqlite3"\n')
    assert main(["audit", "--config", str(config)]) == 1  # no journal yet: one clear line
    assert "j.sqlite3" in capsys.readouterr().err
    with Journal(tmp_path / "j.sqlite3") as journal:
        journal.acknowledge(
            "queue.waiting:queue:q-billing", alert_title="Billing: 14 waiting", severity=2,
            actor=current_actor(), at=datetime(2026, 11, 23, 10, 5, tzinfo=UTC), note="on it",
        )
    assert main(["audit", "--config", str(config), "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert '"action": "ack"' in out and "on it" in out
    assert main(["audit", "--config", str(config), "--since", "yesterday-ish"]) == 2
    assert "--since" in capsys.readouterr().err


def test_alert_thresholds_override_the_rules_defaults() -> None:
    from floorview.alerts.rules import AlertRules

    text = GOOD + """
[alerts]
waiting_warn = 5
for_s = 30

[alerts.stress]
high_occupancy = 0.85
negative_sentiment = -0.5
break_reasons = ["Break", "lunch"]
"""
    rules = parse_config(text, Path("floor.toml")).alerts
    assert rules.waiting_warn == 5 and rules.for_s == 30.0
    assert rules.waiting_crit == AlertRules().waiting_crit  # untouched keys keep the defaults
    assert rules.stress.high_occupancy == 0.85 and rules.stress.negative_sentiment == -0.5
    assert rules.stress.break_reasons == frozenset({"break", "lunch"})
    assert parse_config(GOOD, Path("floor.toml")).alerts == AlertRules()


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("[alerts]\nwaiting_warn = 30\nwaiting_crit = 20\n",
         "floor.toml:16: alerts: waiting: need 0 <= warning <= critical, got 30, 20"),
        ("[alerts]\nwaiting_wran = 3\n", "floor.toml:17: alerts.waiting_wran: unknown key"),
        ("[alerts]\nfor_s = -1\n", "floor.toml:17: alerts.for_s: must be between 0 and"),
        ("[alerts.stress]\nrun_of = 9\n",
         "floor.toml:16: alerts.stress: need 1 <= run_of <= last_n"),
    ],
)
def test_bad_alert_thresholds_name_the_table_and_line(table: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(GOOD + "\n" + table, Path("floor.toml"))
    assert expected in str(info.value)


def test_keys_and_language_are_read() -> None:
    text = GOOD.replace('title = "Floor 3"', 'title = "Floor 3"\nlanguage = "zh-CN"')
    text += '\n[keys]\nacknowledge = "A"\n"screen.help" = "h,f1"\n'
    config = parse_config(text, Path("floor.toml"))
    assert config.display.language == "zh-CN"
    assert dict(config.keys) == {"acknowledge": "A", "screen.help": "h,f1"}


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ('acknowlege = "A"', "floor.toml:17: keys.acknowlege: unknown key (known keys: help, screen.floor"),
        ('acknowledge = "q"', "floor.toml:17: keys.acknowledge: key 'q' is also quit's key"),
        ('reassign = "?"', "floor.toml:17: keys.reassign: key '?' is also help's key"),
        ('acknowledge = ""', "floor.toml:17: keys.acknowledge: must not be empty"),
        ("acknowledge = 1", "floor.toml:17: keys.acknowledge: must be a string, got 1"),
    ],
)
def test_bad_keys_name_the_action_and_line(keys: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(GOOD + f"\n[keys]\n{keys}\n", Path("floor.toml"))
    assert str(err.value).startswith(expected)


def test_two_keys_for_one_screen_are_not_a_clash() -> None:
    # `?` and `5` both open help by default; mapping help to F1 too is fine.
    config = parse_config(GOOD + '\n[keys]\nhelp = "f1,question_mark"\n', Path("floor.toml"))
    assert dict(config.keys) == {"help": "f1,question_mark"}
