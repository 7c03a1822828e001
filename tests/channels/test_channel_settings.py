"""Channel settings follow kefu's precedence: arguments, then KEFU_* variables, then kefu.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from kefu.channels.settings import ChannelSettings


def test_toml_then_environment_then_arguments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "kefu.toml"
    config.write_text('[kefu]\nsupport_address = "help@shop.cn"\nwebchat_sites = {shop = "s3cret"}\n')
    monkeypatch.setenv("KEFU_CONFIG", str(config))
    assert ChannelSettings().support_address == "help@shop.cn"
    assert ChannelSettings().webchat_sites == {"shop": "s3cret"}
    monkeypatch.setenv("KEFU_SUPPORT_ADDRESS", "env@shop.cn")
    assert ChannelSettings().support_address == "env@shop.cn"
    assert ChannelSettings(support_address="arg@shop.cn").support_address == "arg@shop.cn"


def test_bad_values_name_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_WEBHOOK_MAX_ATTEMPTS", "0")
    with pytest.raises(ValueError, match="webhook_max_attempts"):
        ChannelSettings()
