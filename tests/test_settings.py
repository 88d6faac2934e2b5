from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kith import settings as config
from kith.settings import Settings

DOCS = Path(__file__).parent.parent / "docs" / "settings.md"


def test_table_and_dataclass_agree() -> None:
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    assert list(fields) == [s.name for s in config.TABLE]
    for setting in config.TABLE:
        assert fields[setting.name].default == setting.default, setting.name


def test_every_setting_is_documented() -> None:
    assert config.markdown_table() in DOCS.read_text()


def test_precedence_flag_over_env_over_file(tmp_path: Path) -> None:
    toml = tmp_path / "kith.toml"
    toml.write_text('port = 7000\nhost = "0.0.0.0"\nmax_friends = 10\n')
    env = {"KITH_PORT": "7100", "KITH_MAX_FRIENDS": "20"}
    s = config.load({"port": "7200"}, environ=env, config_file=toml)
    assert (s.port, s.host, s.max_friends) == (7200, "0.0.0.0", 20)
    s = config.load({}, environ=env, config_file=toml)
    assert s.port == 7100
    assert config.load({}, environ={}, config_file=toml).port == 7000
    assert config.load({}, environ={}).port == 8080


def test_booleans_and_types_are_checked(tmp_path: Path) -> None:
    assert config.load({}, environ={"KITH_REGISTRATION_OPEN": "no"}).registration_open is False
    assert config.load({}, environ={"KITH_REGISTRATION_OPEN": "1"}).registration_open is True
    with pytest.raises(ValueError, match="registration_open"):
        config.load({}, environ={"KITH_REGISTRATION_OPEN": "maybe"})
    with pytest.raises(ValueError, match="port"):
        config.load({}, environ={"KITH_PORT": "eighty"})
    bad = tmp_path / "bad.toml"
    bad.write_text("colour = 'blue'\n")
    with pytest.raises(ValueError, match="unknown setting 'colour'"):
        config.load({}, environ={}, config_file=bad)


def test_bounded_settings_refuse_values_outside_their_range() -> None:
    assert config.load({}, environ={"KITH_OUTBOX_LEASE_SECONDS": "5"}).outbox_lease_seconds == 5
    assert config.load({}, environ={}).outbox_lease_seconds == 60
    for bad in ("0", "-3", "3601"):
        with pytest.raises(ValueError, match="outbox_lease_seconds: expected 1 to 3600"):
            config.load({}, environ={"KITH_OUTBOX_LEASE_SECONDS": bad})


def test_database_url_defaults_to_a_file_in_the_data_dir(tmp_path: Path) -> None:
    s = config.load({"data_dir": str(tmp_path)}, environ={})
    assert s.database_url == f"sqlite:///{tmp_path / 'kith.db'}"
    assert config.load({"database": "sqlite:///x.db"}, environ={}).database_url == "sqlite:///x.db"
