"""Issue 11: what a client signs under (the EIP-712 domain) is described by one model, filled from
the library's ResourceRegistry domain, in every answer that asks for a signature."""

from __future__ import annotations

import json

from ledger_service.chain import Eip712Domain
from registry.api.routes.resources import AuthorshipPublic, RegistrationInfo, SigningDomainPublic
from registry.openapi import openapi_document

DOMAIN_FIELDS = {"chain_id", "verifying_contract", "domain_name", "domain_version"}


def test_every_answer_asking_for_a_signature_carries_the_one_domain() -> None:
    schemas = json.loads(openapi_document())["components"]["schemas"]
    for model in (AuthorshipPublic, RegistrationInfo):
        assert issubclass(model, SigningDomainPublic), f"{model.__name__} repeats the domain fields instead of sharing them"
        properties = schemas[model.__name__]["properties"]
        assert DOMAIN_FIELDS <= set(properties), "the web application reads these names (web/src/api/schema.d.ts)"
        assert {"chain_id", "verifying_contract"} <= set(schemas[model.__name__]["required"])
        assert (properties["domain_name"]["default"], properties["domain_version"]["default"]) == (Eip712Domain.name, Eip712Domain.version)


def test_the_fields_come_from_the_domain_the_signature_is_checked_against() -> None:
    domain = Eip712Domain(chain_id=31337, verifying_contract="0x" + "ab" * 20, name="Other", version="2")
    fields = SigningDomainPublic.fields_of(domain)
    assert fields == {"chain_id": 31337, "verifying_contract": "0x" + "ab" * 20, "domain_name": "Other", "domain_version": "2"}
    assert set(fields) == DOMAIN_FIELDS == set(SigningDomainPublic.model_fields)
