"""Configuration, read from the environment (and a `.env` file) by pydantic-settings."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MEGABYTE = 1024 * 1024


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("casegraph"))


class Settings(BaseSettings):
    """Everything the server can be told from outside. Unset means a sensible local default."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL. Unset: an embedded PostgreSQL in the data folder.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis URL for pub/sub shared by processes. Unset: in-process broker.",
    )
    casegraph_data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Folder for the embedded database, uploaded files and the signing key.",
    )
    secret_key: str | None = Field(
        default=None,
        description="Key that signs bearer tokens. Unset: generated once into the data folder.",
    )
    token_ttl_seconds: int = 12 * 3600
    max_upload_bytes: int = 30 * MEGABYTE
    db_pool_size: int = 20  # per process; each request may use a few at once (loaders)
    log_level: str = "INFO"
    compiled_reads: bool = Field(
        default=True, description="Answer queries by one SQL statement per root field."
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Where customers reach this server: links are {public_url}/customer?token=…",
    )
    smtp_host: str | None = Field(
        default=None, description="SMTP server for email notifications. Unset: logged only."
    )
    smtp_port: int = 587
    smtp_from: str = "casegraph@localhost"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    notify_poll_seconds: float = Field(
        default=1.0, description="How often the notification dispatcher looks for due rows."
    )
    compare_read_paths: bool = Field(
        default=False,
        description="Testing: answer every compiled query by both paths and fail on a difference.",
    )

    # The public API's limits (README: "Limits").
    rate_limit_points: int = Field(
        default=10_000,
        description="Points bucket per client (user, API key, customer); 0 turns rate limits off.",
    )
    rate_limit_refill_per_second: float = Field(
        default=100.0, description="Points a client's bucket regains per second."
    )
    login_attempts: int = Field(
        default=10, description="Sign-in attempts per email and IP within login_window_seconds."
    )
    login_window_seconds: int = 300
    trusted_documents_only_for_customers: bool = Field(
        default=False,
        description="Customer sessions may run only registered documents (trusted documents).",
    )
    introspection_for_customers: bool = Field(
        default=True,
        description="Customers may introspect (staff, partners and API keys always may).",
    )
    idempotency_ttl_seconds: int = Field(
        default=24 * 3600, description="How long an Idempotency-Key keeps its first result."
    )

    @property
    def data_dir(self) -> Path:
        return self.casegraph_data_dir

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    def signing_key(self) -> str:
        """The token signing key; every worker of one data folder shares the generated one."""
        if not self.secret_key:
            # Read (or create) once: this is on every authenticated request.
            self.secret_key = self._stored_signing_key()
        return self.secret_key

    def _stored_signing_key(self) -> str:
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            candidate = secrets.token_urlsafe(48)
            try:
                with path.open("x") as handle:  # "x": the first worker to start wins
                    handle.write(candidate)
                path.chmod(0o600)
            except FileExistsError:
                pass
        return path.read_text().strip()
