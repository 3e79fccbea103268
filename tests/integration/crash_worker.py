"""Child process for the crash test: opens the embedded ledger and sends registrations in batches.

Prints ``NODE <anvil pid>`` once the chain is up, ``JOURNALED <n>`` as soon as a batch's signed
transactions are committed to the outbox (before they are sent), and ``SENT <n>`` after every
submitted batch, until killed. Run: ``python -m tests.integration.crash_worker DATA_DIR BATCHES BATCH_SIZE BLOCK_TIME`` (0: automine).
"""

from __future__ import annotations

import sys
from pathlib import Path

from ledger_service.chain import ChainConfig, Ledger, dev_signer
from tests.utils.registrations import signed_registration_calls

AUTHOR_INDEX = 2


def main() -> None:
    data_dir, batches, size, block_time = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    ledger = Ledger.open(ChainConfig(data_dir=data_dir, anvil_port=0, snapshot_interval=0.25, block_time=block_time or None))
    assert ledger.node is not None
    print(f"NODE {ledger.node.pid}", flush=True)
    author = dev_signer(AUTHOR_INDEX)
    journal = ledger.sender.outbox.journal
    journaled = 0

    def journal_and_say(entries):  # type: ignore[no-untyped-def]
        nonlocal journaled
        result = journal(entries)
        journaled += len(entries)
        print(f"JOURNALED {journaled}", flush=True)
        return result

    ledger.sender.outbox.journal = journal_and_say  # type: ignore[method-assign]
    sent = 0
    for batch in range(batches):
        labels = [f"crash-{batch}-{i}" for i in range(size)]
        ledger.sender.submit(signed_registration_calls(ledger, author, labels, first_nonce=sent))
        sent += size
        print(f"SENT {sent}", flush=True)
    print("DONE", flush=True)
    ledger.close()


if __name__ == "__main__":
    main()
