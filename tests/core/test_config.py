import os
import stat

import pytest

from kefu.core.config import Settings


def test_defaults_put_sqlite_in_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("KEFU_DATABASE_URL", raising=False)
    settings = Settings(data_dir=tmp_path)
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path / 'kefu.db'}"
    assert settings.redis_url is None
    assert settings.language == "zh_CN"


def test_environment_overrides_toml_file(tmp_path, monkeypatch):
    (tmp_path / "kefu.toml").write_text('language = "en"\ntimezone = "Europe/Paris"\n')
    monkeypatch.setenv("KEFU_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KEFU_TIMEZONE", "Asia/Tokyo")
    settings = Settings()
    assert settings.language == "en"  # from the file
    assert settings.timezone == "Asia/Tokyo"  # the environment wins


def test_explicit_config_file_must_exist(tmp_path, monkeypatch):
    monkeypatch.setenv("KEFU_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ValueError, match="KEFU_CONFIG"):
        Settings()


def test_postgres_urls_use_psycopg_driver():
    settings = Settings(database_url="postgresql://postgres@127.0.0.1:5432/test")
    assert settings.sqlalchemy_url == "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def test_secret_key_is_generated_once_and_private(tmp_path, monkeypatch):
    monkeypatch.delenv("KEFU_SECRET_KEY", raising=False)
    first = Settings(data_dir=tmp_path).signing_key
    second = Settings(data_dir=tmp_path).signing_key
    assert first == second and len(first) >= 40
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600


def test_configured_secret_key_wins(tmp_path):
    assert Settings(data_dir=tmp_path, secret_key="s3cret-value").signing_key == "s3cret-value"
    assert not (tmp_path / "secret_key").exists()


def test_invalid_language_is_rejected_naming_the_field():
    with pytest.raises(ValueError, match="language"):
        Settings(language="fr")
