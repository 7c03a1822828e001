"""One settings object, read from KEFU_* environment variables and an optional TOML file.

Precedence: explicit arguments > environment > TOML file (KEFU_CONFIG, else <data_dir>/kefu.toml) > defaults.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

SECRET_KEY_FILE = "secret_key"


class KefuSettings(BaseSettings):
    """KEFU_* variables and kefu.toml, for every group of settings (core, channels, tiers…)."""

    model_config = SettingsConfigDict(env_prefix="KEFU_", extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlFileSource(settings_cls))


class Settings(KefuSettings):
    data_dir: Path = Field(
        default=Path(".kefu"), description="where the SQLite file, secret and uploads live"
    )
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in data_dir")
    redis_url: str | None = Field(default=None, description="enables the Redis event bus when set")
    secret_key: str | None = Field(
        default=None, description="signs sessions and links; generated when missing"
    )
    language: Literal["zh_CN", "en"] = "zh_CN"
    timezone: str = Field(default="Asia/Shanghai", description="the centre's time zone for display")
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"
    public_url: str = "http://127.0.0.1:8000"
    auto_migrate: bool = Field(default=True, description="apply pending migrations when the app starts")
    plan_warmup: bool = Field(default=True, description="compute today's workforce plan at start-up")
    channel_workers: bool = Field(
        default=True, description="run the SMTP receiver, IMAP polling and delivery retries in this process"
    )
    routing_interval_seconds: float = Field(
        default=1.0, ge=0, description="routing rounds at least this often (0 turns the routing leader off)"
    )
    sla_sweep_interval_seconds: float = Field(
        default=5.0, ge=0, description="SLA sweeps this often (0 turns the SLA sweeper off)"
    )

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL with the driver kefu uses (psycopg 3 for PostgreSQL)."""
        url = self.database_url or f"sqlite:///{self.data_dir / 'kefu.db'}"
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @cached_property
    def signing_key(self) -> str:
        """The configured secret, or the one stored in the data folder (created on first use)."""
        return self.secret_key or load_or_create_secret(self.data_dir)


class TomlFileSource(PydanticBaseSettingsSource):
    """Reads settings from KEFU_CONFIG or <data_dir>/kefu.toml; keys are the field names without prefix."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        self._values = self._load()

    def _load(self) -> dict[str, Any]:
        explicit = os.environ.get("KEFU_CONFIG")
        path = Path(explicit) if explicit else Path(os.environ.get("KEFU_DATA_DIR", ".kefu")) / "kefu.toml"
        if not path.is_file():
            if explicit:
                raise ValueError(f"KEFU_CONFIG: file {path} does not exist")
            return {}
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        return data.get("kefu", data)

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self._values.items() if k in self.settings_cls.model_fields}


def load_or_create_secret(data_dir: Path) -> str:
    """Keep one random secret per installation, readable only by its owner."""
    path = data_dir / SECRET_KEY_FILE
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret
