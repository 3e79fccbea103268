"""The EduLedger registry service (FastAPI): HTTP API and web pages over ``ledger_service``."""
