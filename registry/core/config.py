"""Service settings, read from ``EDULEDGER_*`` environment variables (or a ``.env`` file)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, computed_field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger_service.chain import ChainConfig
from ledger_service.content import MAX_IMAGE_PIXELS

from .security import ChallengeLimits


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EDULEDGER_", env_file=".env", env_ignore_empty=True, extra="ignore")

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
    # A chain write not mined after this long makes /health degraded; a request that waits for
    # one answers 202 with where to follow it after CHAIN_WAIT_SECONDS.
    CHAIN_STALL_SECONDS: float = Field(default=60.0, gt=0)
    CHAIN_WAIT_SECONDS: float = Field(default=30.0, gt=0)

    # Content: empty IPFS_API keeps blocks under DATA_DIR/content; a Kubo multiaddr uses that node.
    IPFS_API: str | None = None
    MAX_UPLOAD_SIZE: int = Field(default=2 * 1024**3, ge=1)

    # Database: empty means SQLite under DATA_DIR.
    DATABASE_URL: str | None = None

    # Where users reach this service (links and QR codes on certificates); empty: http://HOST:PORT.
    PUBLIC_URL: str | None = None

    # Sign-in (EIP-4361): how long a challenge and a session last, in seconds.
    CHALLENGE_TTL: int = Field(default=300, ge=10, le=3600)
    SESSION_TTL: int = Field(default=1800, ge=60, le=86400)
    # Challenges one client (IP; IPv6 by /64) and one address may ask for per window, and how many
    # may be open (unused, unexpired) in all; beyond these: 429 with Retry-After.
    CHALLENGES_PER_CLIENT: int = Field(default=60, ge=1)
    CHALLENGES_PER_ADDRESS: int = Field(default=10, ge=1)
    CHALLENGE_WINDOW: int = Field(default=60, ge=1, le=3600)
    MAX_OPEN_CHALLENGES: int = Field(default=10_000, ge=1)

    # The bureau that runs this repository: registered on chain at first start (when the relayer is
    # governance), accredited for the four certificate kinds, the relayer as its issuer key.
    BUREAU_NAME: str = "市级教育资源平台"
    BUREAU_KIND: Literal["ministry", "province", "city", "district"] = "city"
    # Its first administrator. Development on the embedded chain defaults to dev account 1.
    ADMIN_ADDRESS: str | None = None

    # Review (入库): completed reviews a decision needs; automatic decisions on the mean rubric total
    # (0–15) once that many reviews are in (empty: an administrator decides).
    MIN_REVIEWS: int = Field(default=2, ge=1, le=9)
    AUTO_ACCEPT_SCORE: float | None = Field(default=None, ge=0, le=15)
    AUTO_DECLINE_SCORE: float | None = Field(default=None, ge=0, le=15)
    # Blind review (匿名评审): reviewers see no author (names, addresses, the history's author events).
    BLIND_REVIEW: bool = False
    # In-page previews of Word and PowerPoint parts: converted to PDF by headless LibreOffice ("none":
    # no conversion; the original stays as submitted either way), each conversion given this long.
    OFFICE_CONVERTER: str = "soffice"
    PREVIEW_TIMEOUT: int = Field(default=180, ge=5, le=3600)

    # Submissions: near-duplicate threshold (bits of 64), parts per bundle, the catalogue loaded into
    # an empty database (empty: the sample shipped with the registry).
    NEAR_DUPLICATE_BITS: int = Field(default=12, ge=0, le=32)  # edited texts measure 0–7, unrelated ones 20+
    MAX_PARTS: int = Field(default=12, ge=1, le=100)
    # An image part's pixels (width x height, read from its header before anything decodes it).
    MAX_IMAGE_PIXELS: int = Field(default=MAX_IMAGE_PIXELS, ge=1)
    # Threads hashing and fingerprinting submissions at once (CPU work kept off the event loop).
    CPU_WORKERS: int = Field(default=2, ge=1, le=64)
    # Packages verified or imported at once (each held in memory, up to the upload limit); beyond: 429.
    PACKAGE_VERIFICATIONS: int = Field(default=2, ge=1, le=64)
    CATALOGUE_FILE: Path | None = None

    # The built web application (web/dist, made by `make`); empty: the one beside the source tree.
    WEB_DIR: Path | None = None

    # Run the chain worker in this process (exactly one process per relayer key should).
    WORKER: bool = True

    # The master key of the personal-data vault and of the issuing keys held for institutions: 64 hex
    # digits or base64, or a file holding it. Development creates DATA_DIR/vault-master.key (0600).
    VAULT_MASTER_KEY: SecretStr | None = Field(default=None, repr=False)
    VAULT_MASTER_KEY_FILE: Path | None = None
    # Records in one issuance request (a class or a grade).
    # The longest wait for the next piece of a request body: a client that declares a Content-Length
    # and stops sending gets a 408 instead of holding a worker for ever. Slow but moving uploads go on.
    BODY_TIMEOUT: float = Field(default=30.0, gt=0, le=3600)
    MAX_JSON_BODY: int = Field(default=64 * 1024**2, ge=1024)  # a JSON request body (a batch of 10,000 records is ~5 MiB)
    MAX_BATCH: int = Field(default=10_000, ge=1, le=65_536)  # one status list holds half of its 131,072 entries

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

    @field_validator("ADMIN_ADDRESS")
    @classmethod
    def _check_admin_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from eth_utils.address import is_hex_address, to_checksum_address

        if not is_hex_address(value):
            raise ValueError("EDULEDGER_ADMIN_ADDRESS must be an Ethereum address (0x + 40 hex digits)")
        return to_checksum_address(value)

    @model_validator(mode="after")
    def _check_production(self) -> Settings:
        if self.ENVIRONMENT == "production" and self.RPC_URL is None:
            raise ValueError("production needs EDULEDGER_RPC_URL: the embedded chain is for development only")
        if self.ENVIRONMENT == "production" and self.VAULT_MASTER_KEY is None and self.VAULT_MASTER_KEY_FILE is None:
            raise ValueError("production needs EDULEDGER_VAULT_MASTER_KEY or EDULEDGER_VAULT_MASTER_KEY_FILE (kept apart from the data)")
        if self.AUTO_ACCEPT_SCORE is not None and self.AUTO_DECLINE_SCORE is not None:
            if self.AUTO_DECLINE_SCORE >= self.AUTO_ACCEPT_SCORE:
                raise ValueError("EDULEDGER_AUTO_DECLINE_SCORE must be below EDULEDGER_AUTO_ACCEPT_SCORE")
        return self

    @computed_field  # type: ignore[prop-decorator]
    @property
    def BASE_URL(self) -> str:
        return (self.PUBLIC_URL or f"http://{self.HOST}:{self.PORT}").rstrip("/")

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

    def challenge_limits(self) -> ChallengeLimits:
        return ChallengeLimits(self.CHALLENGES_PER_CLIENT, self.CHALLENGES_PER_ADDRESS, self.CHALLENGE_WINDOW, self.MAX_OPEN_CHALLENGES)

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
