"""Service settings, read from ``EDULEDGER_*`` environment variables (or a ``.env`` file)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, computed_field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger_service.chain import ChainConfig


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="EDULEDGER_", env_file=".env", env_ignore_empty=True, extra="ignore"
    )

    ENVIRONMENT: Literal["development", "test", "production"] = "development"
    DATA_DIR: Path = Path("data")
    HOST: str = "127.0.0.1"
    PORT: int = Field(default=8000, ge=1, le=65535)

    # Chain: empty RPC_URL starts the embedded anvil chain under DATA_DIR/chain.
    RPC_URL: str | None = None
    CHAIN_ID: int = Field(default=31337, ge=1)
    RELAYER_KEY: str | None = Field(default=None, repr=False)
    CONFIRMATIONS: int = Field(default=1, ge=1)
    ANVIL_PORT: int = Field(default=8545, ge=0, le=65535)
    SNAPSHOT_INTERVAL: float = Field(default=10.0, ge=0)
    BLOCK_TIME: float = Field(default=1.0, ge=0)  # embedded chain only; 0 = a block per transaction

    # Content: empty IPFS_API keeps blocks under DATA_DIR/content; a Kubo multiaddr uses that node.
    IPFS_API: str | None = None
    MAX_UPLOAD_SIZE: int = Field(default=2 * 1024**3, ge=1)

    # Database: empty means SQLite under DATA_DIR.
    DATABASE_URL: str | None = None

    @field_validator("RPC_URL")
    @classmethod
    def _check_rpc_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("EDULEDGER_RPC_URL must be an http:// or https:// URL")
        return value

    @field_validator("IPFS_API")
    @classmethod
    def _check_ipfs_api(cls, value: str | None) -> str | None:
        if value:
            from ledger_service.content import kubo_api_url

            kubo_api_url(value)  # raises ValueError naming the expected form
        return value

    @model_validator(mode="after")
    def _check_production(self) -> Settings:
        if self.ENVIRONMENT == "production" and self.RPC_URL is None:
            raise ValueError("production needs EDULEDGER_RPC_URL: the embedded chain is for development only")
        return self

    @computed_field  # type: ignore[prop-decorator]
    @property
    def SQLALCHEMY_URL(self) -> str:
        if self.DATABASE_URL:
            url = self.DATABASE_URL
            # psycopg 3 is the driver we ship; plain postgresql:// URLs mean it.
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://") :]
            return url
        return f"sqlite:///{(self.DATA_DIR / 'registry.sqlite3').resolve()}"

    def chain_config(self) -> ChainConfig:
        return ChainConfig(
            data_dir=self.DATA_DIR,
            rpc_url=self.RPC_URL,
            chain_id=self.CHAIN_ID,
            relayer_key=self.RELAYER_KEY,
            confirmations=self.CONFIRMATIONS,
            anvil_port=self.ANVIL_PORT,
            snapshot_interval=self.SNAPSHOT_INTERVAL,
            block_time=self.BLOCK_TIME or None,
        )


def get_settings() -> Settings:
    return Settings()
