"""`meshfarm client login` against a real server: the token is checked, then kept where
only its owner can read it, and every later command uses it."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from meshfarm_client import Client, NotLoggedIn
from meshfarm_client.cli import app
from typer.testing import CliRunner


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.delenv("MESHFARM_URL", raising=False)
    monkeypatch.delenv("MESHFARM_TOKEN", raising=False)
    return home


def test_login_keeps_url_and_token_in_a_0600_file(config_home, live_server, make_user):
    user = make_user(credits=3)
    runner = CliRunner()
    result = runner.invoke(app, ["login", "--url", live_server, "--token", user.token])
    assert result.exit_code == 0, result.output
    assert f"as {user.email} (3 credits)" in result.output
    path = config_home / "meshfarm" / "client.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(path.read_text()) == {"base_url": live_server, "token": user.token}

    again = runner.invoke(app, ["account"])
    assert again.exit_code == 0 and f"{user.email}: 3 credits" in again.output
    with Client.from_config() as client:
        assert client.account().email == user.email


def test_a_loosened_file_is_narrowed_again(config_home, live_server, make_user):
    path = config_home / "meshfarm" / "client.json"
    path.parent.mkdir(parents=True)
    path.write_text("{}")
    path.chmod(0o644)
    result = CliRunner().invoke(app, ["login", "--url", live_server, "--token", make_user().token])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_wrong_token_is_not_kept(config_home, live_server):
    result = CliRunner().invoke(app, ["login", "--url", live_server, "--token", "dxgl_sk_nope"])
    assert result.exit_code == 1
    assert "cannot log in" in result.output and "unauthorized" in result.output
    assert not (config_home / "meshfarm" / "client.json").exists()
    with pytest.raises(NotLoggedIn):
        Client.from_config()
    logged_out = CliRunner().invoke(app, ["status"])
    assert logged_out.exit_code == 1 and "meshfarm client login" in logged_out.output
