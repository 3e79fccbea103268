"""The ``edu-wallet`` command (Typer + Rich).

Errors print one line, ``TypeName: message``, and exit 1. Anything unexpected (a bug) is one line too,
``UnexpectedError: …`` (``EDU_WALLET_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

from ledger_service import ConfigurationError, CredentialError, EduLedgerError, InvalidJsonError, strict_loads

if TYPE_CHECKING:
    from ledger_service.chain import HttpRpcClient, Signer
    from ledger_service.credentials import ChainView, DidResolver, TrustAnchor, VerificationReport

# Each command imports what it needs when it runs: the chain and credential libraries (eth_account, pyld,
# cryptography) take about a second to import, which `edu-wallet cid` or `key address` should not pay.

app = typer.Typer(
    help="EduLedger wallet: keys, sign-in and submission, verification without the registry.", no_args_is_help=True, add_completion=False
)
key_app = typer.Typer(help="Create and inspect encrypted keystores.", no_args_is_help=True)
chain_app = typer.Typer(help="Look at the chain.", no_args_is_help=True)
trust_app = typer.Typer(help="Trust anchors: the checkpoints offline verification starts from.", no_args_is_help=True)
package_app = typer.Typer(help="Recommendation packages (推荐国家平台): check one received.", no_args_is_help=True)
app.add_typer(key_app, name="key")
app.add_typer(package_app, name="package")
app.add_typer(chain_app, name="chain")
app.add_typer(trust_app, name="trust")

out = Console(soft_wrap=True)  # long CIDs, hashes and tokens stay whole, for copying
err = Console(stderr=True)

KeystoreOption = Annotated[Path, typer.Option("--keystore", "-k", help="Path of the encrypted keystore (JSON).")]


_MARKS = {"pass": "[green]pass[/green]", "fail": "[red]FAIL[/red]", "unknown": "[yellow]?[/yellow]"}


def _print_report(report: VerificationReport) -> NoReturn:
    """A verification report, a line per check, then its outcome; exit 0 valid, 1 invalid, 3 cannot tell."""
    for check in report.checks:
        out.print(f"{_MARKS[check.result]:>8}  {check.name:<18} {check.detail}", highlight=False)
    freshness = report.freshness  # offline bundles: the block their facts were proven at
    if freshness:
        out.print(
            f"proven at block {freshness['block']}, {freshness['block_time']} ({freshness['status_age_seconds']:,} s ago)",
            highlight=False,
        )
    out.print(f"outcome: {report.outcome}", highlight=False)
    raise typer.Exit(code={"valid": 0, "invalid": 1}.get(report.outcome, 3))


def _read_keystore(path: Path) -> dict[str, object]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"no keystore at {path}") from None
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"{path} is not a keystore file: {exc}") from exc
    if not isinstance(document, dict) or "crypto" not in document and "Crypto" not in document:
        raise ConfigurationError(f"{path} is not an encrypted keystore (no crypto section)")
    return document


@key_app.command("create")
def create_key(
    keystore: KeystoreOption,
    password: Annotated[str, typer.Option(prompt=True, confirmation_prompt=True, hide_input=True, envvar="EDU_WALLET_PASSWORD")],
) -> None:
    """Create a new key and store it encrypted (scrypt + AES-128-CTR, the Ethereum keystore format)."""
    from eth_account import Account

    if keystore.exists():
        raise ConfigurationError(f"{keystore} already exists; choose another path (keys are never overwritten)")
    if len(password) < 8:
        raise ConfigurationError("the password must have at least 8 characters")
    account = Account.create()
    _write_keystore(keystore, Account.encrypt(account.key, password))
    out.print(f"created {keystore}: address {account.address}")


def _write_keystore(keystore: Path, document: dict[str, Any]) -> None:
    """Write a new keystore readable by its owner only; an existing file is never overwritten."""
    keystore.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(keystore, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(document, handle)


@key_app.command("address")
def show_address(keystore: KeystoreOption) -> None:
    """Print the address a keystore holds (no password needed)."""
    from eth_utils.address import to_checksum_address

    document = _read_keystore(keystore)
    address = document.get("address")
    if not isinstance(address, str):
        raise ConfigurationError(f"{keystore} does not record its address")
    out.print(to_checksum_address("0x" + address.removeprefix("0x")))


@key_app.command("check")
def check_key(
    keystore: KeystoreOption,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, envvar="EDU_WALLET_PASSWORD")],
) -> None:
    """Decrypt a keystore with its password and print the address it unlocks."""
    from eth_account import Account

    from ledger_service.chain import Signer

    document = _read_keystore(keystore)
    try:
        key = Account.decrypt(document, password)
    except ValueError:
        raise ConfigurationError(f"wrong password for {keystore}") from None
    out.print(f"{keystore} unlocks {Signer(bytes(key)).address}")


@key_app.command("import")
def import_key(
    keystore: KeystoreOption,
    private_key: Annotated[
        str, typer.Option(prompt=True, hide_input=True, envvar="EDU_WALLET_PRIVATE_KEY", help="The key to import, 64 hex digits.")
    ],
    password: Annotated[str, typer.Option(prompt=True, confirmation_prompt=True, hide_input=True, envvar="EDU_WALLET_PASSWORD")],
) -> None:
    """Store an existing private key encrypted (e.g. a key moved from another wallet)."""
    from eth_account import Account

    from ledger_service.chain import Signer

    if keystore.exists():
        raise ConfigurationError(f"{keystore} already exists; choose another path (keys are never overwritten)")
    if len(password) < 8:
        raise ConfigurationError("the password must have at least 8 characters")
    signer = Signer.from_hex(private_key)
    _write_keystore(keystore, Account.encrypt(signer.private_key_bytes(), password))
    out.print(f"imported into {keystore}: address {signer.address}")


def _unlock(keystore: Path, password: str) -> Signer:
    from eth_account import Account

    from ledger_service.chain import Signer

    document = _read_keystore(keystore)
    try:
        return Signer(bytes(Account.decrypt(document, password)))
    except ValueError:
        raise ConfigurationError(f"wrong password for {keystore}") from None


RegistryOption = Annotated[str, typer.Option("--registry", "-r", envvar="EDULEDGER_REGISTRY_URL", help="The registry's URL.")]
PasswordOption = Annotated[str, typer.Option(prompt=True, hide_input=True, envvar="EDU_WALLET_PASSWORD")]


@app.command("login")
def login(
    keystore: KeystoreOption,
    password: PasswordOption,
    registry: RegistryOption = "http://127.0.0.1:8000",
    web: Annotated[bool, typer.Option("--web", help="Print a one-time link that signs a browser in instead of a token.")] = False,
) -> None:
    """Sign in to a registry (EIP-4361): prints the roles and a session token for API calls, or with
    ``--web`` a one-time link for the web application (open it within minutes; it works once)."""
    import httpx

    from ._registry import RegistryClient

    with httpx.Client(base_url=registry, timeout=30) as http:
        client = RegistryClient(http, _unlock(keystore, password))
        session = _call_registry(registry, client.sign_in)
        if web:
            link = _call_registry(registry, client.login_link)
            _call_registry(registry, client.sign_out)  # the browser gets its own session; this one is not needed
    out.print(
        f"signed in as {session['address']}; roles: {', '.join(session['roles']) or 'none'}; until {session['expires_at']}", highlight=False
    )
    if web:
        out.print(f"open this link in your browser once, before {link['expires_at']}:", highlight=False)
        out.print(link["url"], highlight=False)
    else:
        out.print(f"Authorization: Bearer {session['token']}", highlight=False)


def _call_registry(registry: str, call: Callable[[], Any]) -> Any:
    import httpx

    try:
        return call()
    except httpx.TransportError as exc:
        raise ConfigurationError(f"the registry at {registry} does not answer ({type(exc).__name__})") from None


@app.command("submit")
def submit(
    files: Annotated[
        list[Path], typer.Argument(help="The resource's files (one, or the parts of a bundle).", exists=True, dir_okay=False, readable=True)
    ],
    metadata: Annotated[
        Path,
        typer.Option(
            "--metadata",
            "-m",
            exists=True,
            dir_okay=False,
            help="Metadata JSON: title, description, keywords, resource_type, catalogue_node, "
            "licence, authors, parts (roles by file name).",
        ),
    ],
    keystore: KeystoreOption,
    password: PasswordOption,
    registry: RegistryOption = "http://127.0.0.1:8000",
    resource: Annotated[int | None, typer.Option(help="Submit a new version of this resource.")] = None,
) -> None:
    """Register a resource: compute its CID, sign the registration (EIP-712) as lead author, upload."""
    import httpx

    from ._registry import RegistryClient

    described = _read_json(metadata)
    if not isinstance(described, dict):
        raise ConfigurationError(f"{metadata} must hold a JSON object")
    by_name = {path.name: path for path in files}
    if len(by_name) != len(files):
        raise ConfigurationError("two files share a name; a bundle's parts are named by their file names")
    signer = _unlock(keystore, password)
    described.setdefault("authors", [{"address": signer.address, "share": 10_000}])
    with httpx.Client(base_url=registry, timeout=600) as http, err.status("signing and uploading…"):
        client = RegistryClient(http, signer)
        _call_registry(registry, client.sign_in)
        version = _call_registry(registry, lambda: client.submit(by_name, described, resource_id=resource))
    out.print(f"resource {version['resource_id']} version {version['number']}: {version['state']}; CID {version['cid']}", highlight=False)
    for hit in version["near_duplicates"]:
        out.print(
            f"  [yellow]similar[/yellow]: resource {hit['resourceId']} v{hit['version']} ({hit['kind']}, "
            f"{hit['distance']} bits) — the reviewers will see it",
            highlight=False,
        )


@app.command("confirm-authorship")
def confirm_authorship(
    resource: Annotated[int, typer.Argument(min=1, help="The registry's resource id.")],
    keystore: KeystoreOption,
    password: PasswordOption,
    version: Annotated[int, typer.Option(min=1, help="The version that lists you as a co-author.")] = 1,
    registry: RegistryOption = "http://127.0.0.1:8000",
) -> None:
    """Confirm, as a co-author, your authorship and share of a resource version (EIP-712, signed here)."""
    import httpx

    from ._registry import RegistryClient

    signer = _unlock(keystore, password)
    with httpx.Client(base_url=registry, timeout=60) as http:
        client = RegistryClient(http, signer)
        _call_registry(registry, client.sign_in)
        answer = _call_registry(registry, lambda: client.confirm_authorship(resource, version))
    mine = next(a for a in answer["authors"] if a["address"] == signer.address)
    out.print(
        f"resource {resource} version {version}: {signer.address} confirms {mine['share'] / 100:g}% ({mine['status']}; held once on chain)",
        highlight=False,
    )


@app.command("certificate")
def verify_certificate_command(
    certificate_id: Annotated[int, typer.Argument(min=1, help="The certificate number (on its PDF and in its QR code).")],
    deployment: DeploymentOption = None,
    rpc_url: RpcUrlOption = "http://127.0.0.1:8545",
    content: Annotated[
        Path | None, typer.Option(exists=True, help="A single-file resource's file: the certificate must certify it.")
    ] = None,
) -> None:
    """Verify a resource certificate against the chain directly (no registry). Exit 0 valid, 1 invalid, 3 cannot tell."""
    from ledger_service.certificates import CertificateReader, verify_certificate
    from ledger_service.chain import BoundContract, HttpRpcClient, load_artifacts
    from ledger_service.content import cid_of_path

    if deployment is None:
        raise ConfigurationError("--deployment is needed to find the contracts (deployment.json or the registry's GET /chain)")
    addresses = _read_json(deployment).get("contracts") or {}
    try:
        rpc = HttpRpcClient(rpc_url, timeout=10.0)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    artifacts = load_artifacts()
    try:
        contracts = {
            name: BoundContract(name, addresses[name], artifacts[name].abi, rpc)
            for name in ("CertificateRegistry", "ResourceRegistry", "InstitutionRegistry")
        }
    except KeyError as exc:
        raise ConfigurationError(f"{deployment} names no {exc.args[0]} contract") from None
    expected = cid_of_path(content, cid_version=1).digest if content else None
    reader = CertificateReader(contracts["CertificateRegistry"], contracts["ResourceRegistry"], contracts["InstitutionRegistry"])
    report, _ = verify_certificate(reader, certificate_id, expected_content_hash=expected)
    rpc.close()
    _print_report(report)


@app.command("cid")
def print_cids(
    files: Annotated[list[Path], typer.Argument(help="Files to address.", exists=True, dir_okay=False, readable=True)],
    cid_version: Annotated[int, typer.Option("--cid-version", min=0, max=1)] = 0,
) -> None:
    """Print each file's CID, as `ipfs add --only-hash` would (nothing is uploaded)."""
    from ledger_service.content import cid_of_path

    for path in files:
        out.print(str(cid_of_path(path, cid_version=cid_version)), highlight=False)


def _chain_view(deployment: Path, rpc_url: str) -> tuple[ChainView, HttpRpcClient]:
    from ledger_service.chain import BoundContract, HttpRpcClient, load_artifacts
    from ledger_service.credentials import ChainView

    addresses, chain_id = _deployment(deployment)
    try:
        rpc = HttpRpcClient(rpc_url, timeout=10.0)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    artifacts = load_artifacts()
    view = ChainView(
        rpc,
        BoundContract("CredentialAnchor", addresses["CredentialAnchor"], artifacts["CredentialAnchor"].abi, rpc),
        BoundContract("InstitutionRegistry", addresses["InstitutionRegistry"], artifacts["InstitutionRegistry"].abi, rpc),
        chain_id,
    )
    return view, rpc


def _deployment(path: Path) -> tuple[dict[str, str], int]:
    """(contract addresses, chain id) of a deployment.json or the JSON of the registry's GET /chain."""
    chain_info = _read_json(path)
    try:
        addresses = {str(k): str(v) for k, v in chain_info["contracts"].items()}
        return addresses, int(chain_info["chain_id"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigurationError(f"unreadable deployment {path}: {exc}") from None


def _read_json(path: Path) -> Any:
    """A JSON file read strictly (a duplicate key, a lone surrogate or deep nesting is refused)."""
    try:
        return strict_loads(path.read_bytes())
    except (InvalidJsonError, OSError) as exc:
        raise ConfigurationError(f"unreadable JSON in {path}: {exc}") from None


MAX_STATUS_LIST_DOWNLOAD = 16 * 1024**2


def _fetch_json(url: str, what: str, limit: int) -> dict[str, Any]:
    """A JSON object fetched from ``url`` (no redirects, at most ``limit`` bytes), read strictly."""
    import httpx

    try:
        with httpx.Client(timeout=10.0, follow_redirects=False) as http, http.stream("GET", url) as response:
            if response.status_code != 200:
                raise CredentialError(f"{what} {url} answered HTTP {response.status_code}")
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > limit:
                    raise CredentialError(f"{what} {url} is larger than {limit:,} bytes")
    except httpx.HTTPError as exc:
        raise CredentialError(f"{what} {url} could not be fetched ({type(exc).__name__})") from None
    try:
        found = strict_loads(body)
    except InvalidJsonError as exc:
        raise CredentialError(f"{what} {url} is refused: {exc}") from None
    if not isinstance(found, dict):
        raise CredentialError(f"{what} {url} is not a JSON object")
    return found


def _fetch_status_list(url: str) -> dict[str, Any]:
    """A status list credential fetched from its URL (what W3C status lists are for); read strictly."""
    if not url.startswith(("https://", "http://")):
        raise CredentialError(f"status list {url} is not an http(s) URL; give it with --status-list")
    return _fetch_json(url, "status list", MAX_STATUS_LIST_DOWNLOAD)


MAX_DID_DOCUMENT_DOWNLOAD = 1 << 16  # a few keys: a few KiB


def _did_resolver(paths: list[Path] | None, *, fetch: bool) -> DidResolver:
    """DID documents given as files, else (``fetch``) the did:web document at its URL; each is compared with the chain."""
    from ledger_service.credentials import did_web_url

    given: dict[str, Any] = {}
    for path in paths or []:
        document = _read_json(path)
        if not isinstance(document, dict) or not isinstance(document.get("id"), str):
            raise ConfigurationError(f"{path} is not a DID document")
        given[document["id"]] = document

    def resolve(did: str) -> Any:
        if did in given:
            return given[did]
        if not fetch:
            raise CredentialError(f"the DID document of {did} was not given (--did-document)")
        return _fetch_json(did_web_url(did), "DID document", MAX_DID_DOCUMENT_DOWNLOAD)

    return resolve


def _status_resolver(paths: list[Path] | None, *, fetch: bool = False) -> Callable[[str], list[dict[str, Any]]]:
    """Status lists given as files, then (``fetch``) the one published at its URL; each is judged against the chain."""
    lists: dict[str, dict[str, Any]] = {}
    for path in paths or []:
        listed = _read_json(path)
        if not isinstance(listed, dict):
            raise ConfigurationError(f"{path} is not a status list credential")
        lists[str(listed.get("id"))] = listed

    def resolve(url: str) -> list[dict[str, Any]]:
        found = [lists[url]] if url in lists else []
        if fetch:
            try:
                found.insert(0, _fetch_status_list(url))  # published at its URL: normally the one in force
            except CredentialError:
                if not found:
                    raise
        if not found:
            raise CredentialError(f"status list {url} not given (--status-list)")
        return found

    return resolve


DeploymentOption = Annotated[
    Path | None,
    typer.Option(help="The chain's deployment: deployment.json, or the JSON of the registry's GET /chain.", exists=True),
]
RpcUrlOption = Annotated[str, typer.Option(envvar="EDULEDGER_RPC_URL", help="JSON-RPC URL of a chain node.")]
StatusListOption = Annotated[
    list[Path] | None, typer.Option("--status-list", help="A status list credential (JSON) the credential refers to.")
]
TrustOption = Annotated[
    Path | None,
    typer.Option(
        "--trust",
        exists=True,
        dir_okay=False,
        help="A trust anchor (edu-wallet trust export): offline, bundle facts count only if proven against it.",
    ),
]
FetchOption = Annotated[bool, typer.Option("--fetch-status/--no-fetch-status", help="With a chain: fetch each status list from its URL.")]
DidDocumentOption = Annotated[
    list[Path] | None, typer.Option("--did-document", help="A did:web issuer's DID document (JSON), instead of fetching it.")
]
FetchDidOption = Annotated[bool, typer.Option("--fetch-did/--no-fetch-did", help="With a chain: fetch a did:web issuer's DID document.")]


def _trust(path: Path) -> TrustAnchor:
    from ledger_service.credentials import TrustAnchor

    return TrustAnchor.from_json(_read_json(path))


@app.command("verify")
def verify_file(
    credential: Annotated[Path, typer.Argument(help="The credential, or a verification bundle (JSON file).", exists=True, dir_okay=False)],
    deployment: DeploymentOption = None,
    rpc_url: RpcUrlOption = "http://127.0.0.1:8545",
    trust: TrustOption = None,
    status_list: StatusListOption = None,
    fetch_status: FetchOption = True,
    did_document: DidDocumentOption = None,
    fetch_did: FetchDidOption = True,
    confirmations: Annotated[int, typer.Option(min=1)] = 1,
    max_status_age: Annotated[
        float | None, typer.Option(min=0, help="Offline: a status older than this many seconds is 'cannot tell' (default 30 days).")
    ] = None,
) -> None:
    """Verify a credential against a chain node directly (no registry), or a bundle: against the node when
    --deployment is given (only the bundle's status lists are used), else offline against --trust.
    Exit 0 valid, 1 invalid, 3 cannot tell."""
    from ledger_service.credentials import BUNDLE_TYPE, DEFAULT_MAX_STATUS_AGE, verify_bundle, verify_credential

    text = credential.read_bytes()
    try:
        document = strict_loads(text)
    except InvalidJsonError:
        document = None  # verify_credential reports why, naming the check
    is_bundle = isinstance(document, dict) and document.get("type") == BUNDLE_TYPE
    if document is None:
        report = verify_credential(text, chain=None)  # refused JSON: an invalid report naming the check
    elif deployment is None and not is_bundle:
        raise ConfigurationError("--deployment is needed to verify a credential against the chain (bundles: --trust)")
    elif deployment is not None:
        view, rpc = _chain_view(deployment, rpc_url)
        resolver = _status_resolver(status_list, fetch=fetch_status)
        dids = _did_resolver(did_document, fetch=fetch_did)
        try:
            if is_bundle:
                report = verify_bundle(document, chain=view, confirmations=confirmations, status_resolver=resolver, did_resolver=dids)
            else:
                report = verify_credential(text, chain=view, confirmations=confirmations, status_resolver=resolver, did_resolver=dids)
        finally:
            rpc.close()
    else:
        max_age = DEFAULT_MAX_STATUS_AGE if max_status_age is None else max_status_age
        report = verify_bundle(document, trust=_trust(trust) if trust else None, max_status_age=max_age)
    _print_report(report)


@app.command("derive")
def derive_file(
    credential: Annotated[
        Path, typer.Argument(help="The credential as issued (JSON file, with its ecdsa-sd-2023 base proof).", dir_okay=False)
    ],
    reveal: Annotated[
        list[str] | None,
        typer.Option("--reveal", help="A JSON pointer to disclose, e.g. /credentialSubject/achievement/fieldOfStudy (repeat it)."),
    ] = None,
    list_pointers: Annotated[
        bool, typer.Option("--list", help="List what may be disclosed and what is always shown, derive nothing.")
    ] = False,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the derived credential.")] = Path("derived.json"),
) -> None:
    """Derive a selectively disclosed copy of a credential (ecdsa-sd-2023): the fields the school made
    mandatory (issuer, validity, types, status, your salted binding) and the ones you --reveal, nothing
    else. Offline: no registry, no chain. Verify the copy with edu-wallet verify like any credential."""
    from ledger_service.credentials import derive_credential, disclosure_choices

    document = _read_json(credential)
    if not isinstance(document, dict):
        raise CredentialError(f"{credential} is not a credential (a JSON object)")
    if list_pointers:
        always, choose = disclosure_choices(document)  # what the school's base proof made mandatory
        for pointer in always:
            out.print(f"always  {pointer}", highlight=False)
        for pointer in choose:
            out.print(f"choose  {pointer}", highlight=False)
        return
    derived = derive_credential(document, reveal or [])
    output.write_text(json.dumps(derived, ensure_ascii=False, indent=2), encoding="utf-8")
    shown = ", ".join(reveal) if reveal else "only the mandatory fields"
    out.print(f"wrote {output}: {shown}", highlight=False)


@app.command("bundle")
def bundle_file(
    credential: Annotated[Path, typer.Argument(help="The credential (JSON file).", exists=True, dir_okay=False)],
    deployment: DeploymentOption = None,
    rpc_url: RpcUrlOption = "http://127.0.0.1:8545",
    status_list: StatusListOption = None,
    fetch_status: FetchOption = True,
    did_document: DidDocumentOption = None,
    fetch_did: FetchDidOption = True,
    at_block: Annotated[int | None, typer.Option(min=0, help="Make it at this block (default: the head).")] = None,
    trust: Annotated[
        Path | None,
        typer.Option("--trust", exists=True, dir_okay=False, help="Make it at the newest checkpoint of this trust anchor."),
    ] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the bundle.")] = Path("bundle.json"),
) -> None:
    """Make a verification bundle of a credential: the block's header and the proofs of every fact it needs
    (reads the chain once). Offline, it verifies only for someone who trusts that block."""
    from ledger_service.credentials import make_bundle

    document = _read_json(credential)
    if not isinstance(document, dict):
        raise ConfigurationError(f"{credential} is not a credential (a JSON object)")
    if deployment is None:
        raise ConfigurationError("--deployment is needed to read the chain")
    if trust is not None:
        if at_block is not None:
            raise ConfigurationError("give --at-block or --trust, not both")
        at_block = max(_trust(trust).checkpoints)
    view, rpc = _chain_view(deployment, rpc_url)
    try:
        bundle = make_bundle(
            document,
            chain=view,
            status_resolver=_status_resolver(status_list, fetch=fetch_status),
            at_block=at_block,
            did_resolver=_did_resolver(did_document, fetch=fetch_did),
        )
    finally:
        rpc.close()
    output.write_text(json.dumps(bundle, ensure_ascii=False, indent=1), encoding="utf-8")
    out.print(f"wrote {output} (block {int(bundle['block']['number'], 16)}, {bundle['block']['hash']})", highlight=False)


@trust_app.command("export")
def export_trust(
    deployment: Annotated[Path, typer.Option(exists=True, help="deployment.json, or the JSON of the registry's GET /chain.")],
    rpc_url: RpcUrlOption = "http://127.0.0.1:8545",
    at_block: Annotated[int | None, typer.Option(min=0, help="The block to trust (default: the head).")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="The trust anchor file; an existing one gains the checkpoint.")] = Path(
        "trust.json"
    ),
) -> None:
    """Record a checkpoint {block number, block hash} from a node YOU trust, with the chain id and contracts:
    what offline verification starts from."""
    from ledger_service.chain import HttpRpcClient
    from ledger_service.credentials import trust_anchor_from_node

    addresses, chain_id = _deployment(deployment)
    try:
        rpc = HttpRpcClient(rpc_url, timeout=10.0)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    try:
        fresh = trust_anchor_from_node(rpc, chain_id=chain_id, contracts=addresses, at_block=at_block)
    except KeyError as exc:
        raise ConfigurationError(f"{deployment} names no {exc.args[0]} contract") from None
    finally:
        rpc.close()
    ((number, digest),) = fresh.checkpoints.items()
    anchor = _trust(output).merged(fresh) if output.exists() else fresh
    output.write_text(json.dumps(anchor.to_json(), indent=1), encoding="utf-8")
    out.print(
        f"wrote {output}: chain {anchor.chain_id}, {len(anchor.checkpoints)} checkpoint(s); trusted block {number} 0x{digest.hex()}",
        highlight=False,
    )


@package_app.command("verify")
def verify_package_file(
    package: Annotated[Path, typer.Argument(help="The package (zip).", exists=True, dir_okay=False)],
    deployment: DeploymentOption = None,
    rpc_url: RpcUrlOption = "http://127.0.0.1:8545",
    fetch_status: FetchOption = True,
    confirmations: Annotated[int, typer.Option(min=1)] = 1,
    did_document: DidDocumentOption = None,
    fetch_did: FetchDidOption = True,
) -> None:
    """Verify a recommendation package against a chain node directly (no registry): the signature and its key on
    chain, every member against the signed manifest, every CID against the CAR blocks, every certificate on chain and
    every credential. Exit 0 valid, 1 invalid, 3 cannot tell."""
    from ledger_service.certificates import CertificateReader
    from ledger_service.chain import BoundContract, load_artifacts
    from ledger_service.packages import verify_package

    if deployment is None:
        raise ConfigurationError("--deployment is needed to find the contracts (deployment.json or the registry's GET /chain)")
    addresses, _ = _deployment(deployment)
    view, rpc = _chain_view(deployment, rpc_url)
    artifacts = load_artifacts()
    try:
        contracts = {
            name: BoundContract(name, addresses[name], artifacts[name].abi, rpc)
            for name in ("CertificateRegistry", "ResourceRegistry", "InstitutionRegistry")
        }
    except KeyError as exc:
        rpc.close()
        raise ConfigurationError(f"{deployment} names no {exc.args[0]} contract") from None
    reader = CertificateReader(contracts["CertificateRegistry"], contracts["ResourceRegistry"], contracts["InstitutionRegistry"])
    try:
        report = verify_package(
            package.read_bytes(),
            chain=view,
            certificates=reader,
            status_resolver=_status_resolver(None, fetch=fetch_status),
            confirmations=confirmations,
            did_resolver=_did_resolver(did_document, fetch=fetch_did),
        )
    finally:
        rpc.close()
    _print_report(report)


@chain_app.command("status")
def chain_status(
    rpc_url: Annotated[str, typer.Option(envvar="EDULEDGER_RPC_URL", help="JSON-RPC URL of a chain node.")] = ("http://127.0.0.1:8545"),
) -> None:
    """Print the chain id and block height of a node."""
    from ledger_service.chain import HttpRpcClient

    try:
        rpc = HttpRpcClient(rpc_url, timeout=10.0)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    chain_id, head = rpc.batch([("eth_chainId", []), ("eth_blockNumber", [])])
    if isinstance(chain_id, Exception) or isinstance(head, Exception):
        raise ConfigurationError(f"{rpc_url} is not an Ethereum JSON-RPC node")
    out.print(f"chain id {int(chain_id, 16)}, block {int(head, 16)}")


def main() -> int:
    try:
        result = app(standalone_mode=False)  # a typer.Exit comes back as its exit code here
    except EduLedgerError as exc:
        err.print(f"[red]{type(exc).__name__}[/red]: {exc}", highlight=False, soft_wrap=True)
        return 1
    except typer.Abort:
        err.print("Aborted.")
        return 1
    except typer.Exit as exit_:
        return int(exit_.exit_code)
    except Exception as exc:
        # Usage errors (Typer's vendored click) show their own message and carry exit code 2.
        show, exit_code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):
            show()
            return exit_code
        if os.environ.get("EDU_WALLET_DEBUG"):
            raise
        # A bug, not bad input: still one line (EDU_WALLET_DEBUG=1 shows the traceback).
        err.print(
            f"[red]UnexpectedError[/red]: {type(exc).__name__}: {str(exc)[:300]} (please report it; EDU_WALLET_DEBUG=1 shows where)",
            highlight=False,
            soft_wrap=True,
        )
        return 1
    return result if isinstance(result, int) else 0
