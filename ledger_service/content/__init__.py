"""Content addressing: UnixFS/CIDs identical to Kubo's ``ipfs add``, a local blockstore, a Kubo
backend, CAR import/export, and fingerprints for duplicate and near-duplicate detection."""

from __future__ import annotations

from ._bundle_add import BundleAdder, PartWriter, bundle_root
from ._car import car_header, car_section, read_car
from ._cid import CID, DAG_PB, RAW, SHA2_256, decode_varint, encode_varint
from ._cid_of import cid_of_path
from ._dagpb import Link, PBNode, UnixFSData, decode_pbnode, decode_unixfs, encode_pbnode, encode_unixfs
from ._dagread import ContentStat, DagReader
from ._fingerprint import (
    MAX_IMAGE_PIXELS,
    Fingerprint,
    FingerprintBuilder,
    NearDuplicate,
    NearDuplicateIndex,
    band_probes,
    code_bands,
    content_code,
    fingerprint,
    hamming,
)
from ._importer import BlockSink, FileBuilder, ImportParams, NodeRef, build_directory, import_stream
from ._kubo import KuboContentStore, kubo_api_url
from ._media import SNIFF_BYTES, image_size, media_family, sniff_media_type
from ._store import DEFAULT_MAX_SIZE, Adder, BlockLocation, GcReport, LocalContentStore

__all__ = [
    "Adder",
    "BlockLocation",
    "BlockSink",
    "BundleAdder",
    "CID",
    "ContentStat",
    "DAG_PB",
    "DEFAULT_MAX_SIZE",
    "DagReader",
    "FileBuilder",
    "Fingerprint",
    "FingerprintBuilder",
    "GcReport",
    "ImportParams",
    "KuboContentStore",
    "Link",
    "LocalContentStore",
    "MAX_IMAGE_PIXELS",
    "NearDuplicate",
    "NearDuplicateIndex",
    "NodeRef",
    "PBNode",
    "PartWriter",
    "RAW",
    "SHA2_256",
    "SNIFF_BYTES",
    "UnixFSData",
    "band_probes",
    "build_directory",
    "bundle_root",
    "car_header",
    "car_section",
    "cid_of_path",
    "code_bands",
    "content_code",
    "decode_pbnode",
    "decode_unixfs",
    "decode_varint",
    "encode_pbnode",
    "encode_unixfs",
    "encode_varint",
    "fingerprint",
    "hamming",
    "image_size",
    "import_stream",
    "kubo_api_url",
    "media_family",
    "read_car",
    "sniff_media_type",
]
