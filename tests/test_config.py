"""The run configuration: precedence, validation messages, secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.config import ConfigError, load_config


def test_defaults_target_the_bundled_mock() -> None:
    config = load_config(env={})
    assert config.uses_bundled_mock
    assert config.verify_tls and config.tls_verify is True
    assert config.run_prefix.startswith("vcc-")


def test_flags_win_over_environment_which_wins_over_the_file(tmp_path: Path) -> None:
    file = tmp_path / "c.toml"
    file.write_text('[conformance]\ntarget = "https://file.example"\ntimeout = 5\nuser = "f"\n')
    env = {
        "CONFORMANCE_TARGET": "https://env.example",
        "CONFORMANCE_PASSWORD": "pw",
        "CONFORMANCE_TIMEOUT": "7",
    }
    config = load_config(file=file, env=env, overrides={"timeout": 9.0})
    assert config.target == "https://env.example"
    assert config.timeout == 9.0
    assert config.user == "f"


@pytest.mark.parametrize(
    ("env", "setting", "fix"),
    [
        ({"CONFORMANCE_TARGET": "vcenter.example.com"}, "CONFORMANCE_TARGET", "base URL"),
        ({"CONFORMANCE_TARGET": "https://vc.example/api"}, "CONFORMANCE_TARGET", "base URL"),
        ({"CONFORMANCE_TIMEOUT": "-1"}, "CONFORMANCE_TIMEOUT", "timeout"),
        ({"CONFORMANCE_VERIFY_TLS": "maybe"}, "CONFORMANCE_VERIFY_TLS", "true or false"),
        ({"CONFORMANCE_MAX_EXAMPLES": "0"}, "CONFORMANCE_MAX_EXAMPLES", "whole number"),
        ({"CONFORMANCE_CA_BUNDLE": "/nonexistent.pem"}, "CONFORMANCE_CA_BUNDLE", "PEM"),
        ({"CONFORMANCE_STRICT": "sometimes"}, "CONFORMANCE_STRICT", "true or false"),
        ({"CONFORMANCE_EXPIRY_WAIT": "-5"}, "CONFORMANCE_EXPIRY_WAIT", "0 skips it"),
        ({"CONFORMANCE_SESSION_TIMEOUT": "0"}, "CONFORMANCE_SESSION_TIMEOUT", "e.g. 300"),
        ({"CONFORMANCE_TARGET": "https://vc.example"}, "password", "CONFORMANCE_PASSWORD"),
    ],
)
def test_bad_values_name_the_setting_and_the_fix(
    env: dict[str, str], setting: str, fix: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(env=env)
    assert str(info.value).startswith(setting)
    assert fix in str(info.value)


def test_a_password_in_the_file_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "c.toml"
    file.write_text('password = "hunter22"\n')
    with pytest.raises(ConfigError, match="CONFORMANCE_PASSWORD"):
        load_config(file=file, env={})


def test_unknown_file_keys_are_refused(tmp_path: Path) -> None:
    file = tmp_path / "c.toml"
    file.write_text('[conformance]\ntargte = "https://x.example"\n')
    with pytest.raises(ConfigError, match="targte: unknown setting"):
        load_config(file=file, env={})


def test_redacted_view_and_repr_hide_the_password() -> None:
    config = load_config(
        env={"CONFORMANCE_TARGET": "https://vc.example", "CONFORMANCE_PASSWORD": "hunter22"}
    )
    assert config.password == "hunter22"
    assert "hunter22" not in repr(config)
    assert "hunter22" not in str(config.redacted())
    assert config.redacted()["password"] == "[REDACTED]"


def test_the_shipped_example_config_loads() -> None:
    import conformance

    example = Path(conformance.__file__).parent / "example-config.toml"
    config = load_config(file=example, env={"CONFORMANCE_PASSWORD": "from-the-environment"})
    assert config.target == "https://vcenter.example.com"
    assert config.verify_tls and config.timeout == 30


CREDENTIALS_IN_TARGET = [
    "https://administrator:hunter22-secret@vc.example",
    "https://hunter22-secret@vc.example",
    "https://administrator%40vsphere.local:hunter22-secret@vc.example:443/",
    "https://u:hunter22-secret@vc.example/api",  # a path too: still never echoed
    "https://u:hunter22-secret@",  # no host either
    "https://u:hunter22@secret@vc.example",  # an unescaped '@' in the password
]


@pytest.mark.parametrize("target", CREDENTIALS_IN_TARGET)
@pytest.mark.parametrize("origin", ["file", "environment", "flag"])
def test_credentials_in_the_target_are_refused_and_never_echoed(
    tmp_path: Path, target: str, origin: str
) -> None:
    file = None
    env = {"CONFORMANCE_PASSWORD": "pw"}
    overrides = {}
    if origin == "file":
        file = tmp_path / "c.toml"
        file.write_text(f'target = "{target}"\n')
    elif origin == "environment":
        env["CONFORMANCE_TARGET"] = target
    else:
        overrides["target"] = target
    with pytest.raises(ConfigError) as info:
        load_config(file=file, env=env, overrides=overrides)
    message = str(info.value)
    setting = {"file": f"{file}: target", "environment": "CONFORMANCE_TARGET"}.get(
        origin, "--target"
    )
    assert message.startswith(f"{setting}: must not contain credentials"), message
    assert "--user" in message and "--password-env" in message
    assert "hunter22" not in message and "secret" not in message


def test_a_target_that_is_not_text_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "c.toml"
    file.write_text("target = 443\n")
    with pytest.raises(ConfigError, match="target: 443 is not a URL"):
        load_config(file=file, env={})


def test_outcome_settings_come_from_file_environment_and_flags(tmp_path: Path) -> None:
    defaults = load_config(env={})
    assert not defaults.strict and defaults.expiry_wait == 360
    assert defaults.session_timeout is None and defaults.expected_session_timeout == 300
    file = tmp_path / "c.toml"
    file.write_text("[conformance]\nstrict = true\nexpiry_wait = 30\nsession_timeout = 60\n")
    from_file = load_config(file=file, env={})
    assert from_file.strict and from_file.expiry_wait == 30
    assert from_file.expected_session_timeout == 60
    env = {"CONFORMANCE_STRICT": "false", "CONFORMANCE_EXPIRY_WAIT": "0"}
    from_env = load_config(file=file, env=env)
    assert not from_env.strict and from_env.expiry_wait == 0
    flags = load_config(
        file=file, env=env, overrides={"strict": True, "expiry_wait": 90.0, "session_timeout": 20}
    )
    assert flags.strict and flags.expiry_wait == 90 and flags.session_timeout == 20


def test_requirements_come_from_flags_or_a_comma_list_and_are_checked() -> None:
    env = {"CONFORMANCE_REQUIREMENTS": "US-LIST, DS-LIST,US-LIST"}
    assert load_config(env=env).requirements == ("US-LIST", "DS-LIST")
    flags = load_config(env=env, overrides={"requirements": ["US-DELETE-ACTIVE-400"]})
    assert flags.requirements == ("US-DELETE-ACTIVE-400",)
    with pytest.raises(ConfigError, match="not a requirement id"):
        load_config(env={"CONFORMANCE_REQUIREMENTS": "us-list"})
