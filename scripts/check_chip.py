#!/usr/bin/env python3
"""An independent reader of a chip's files (PyPI asn1crypto), for the tests.

Usage: check_chip.py DIR, where DIR holds EF.COM, EF.DG1, EF.DG2, EF.DG13, EF.DG14,
EF.DG15, EF.SOD, csca.pem and portrait.jpg (the intake portrait). Prints one JSON object:
the signer and CSCA names, whether the security object's hashes are the SHA-256 of the
files, the MRZ of DG1, DG13's fields by number, and whether DG2's image is the portrait.
"""
import hashlib
import json
import struct
import sys
import unicodedata
from pathlib import Path

from asn1crypto import cms, core, parser, pem, x509


class LdsSecurityObject(core.Sequence):
    _fields = [
        ("version", core.Integer),
        ("hash_algorithm", cms.DigestAlgorithm),
        ("hashes", core.SequenceOf, {"spec": core.Sequence}),
    ]


class DataGroupHash(core.Sequence):
    _fields = [("number", core.Integer), ("hash", core.OctetString)]


class DataGroupHashes(core.SequenceOf):
    _child_spec = DataGroupHash


class Lds(core.Sequence):
    _fields = [
        ("version", core.Integer),
        ("hash_algorithm", cms.DigestAlgorithm),
        ("hashes", DataGroupHashes),
    ]


class Dg13Field(core.Sequence):
    _fields = [
        ("number", core.Integer),
        ("value", core.Any),
        ("second", core.Any, {"optional": True}),
    ]


class Dg13Fields(core.SetOf):
    _child_spec = Dg13Field


class Dg13Body(core.Sequence):
    _fields = [
        ("version", core.Integer),
        ("profile", core.ObjectIdentifier),
        ("fields", Dg13Fields),
    ]


class Element:
    """One element as asn1crypto's parser reads it: class, tag and contents."""

    def __init__(self, class_, tag, contents):
        self.class_, self.tag, self.contents = class_, tag, contents


def inner(data, application_tag):
    """The contents of an application-tagged element, checked."""
    class_, _, tag, _, contents, trailer = parser.parse(data, strict=True)
    assert class_ == 1 and tag == application_tag and not trailer, (class_, tag)
    return contents


def children(contents):
    """Every element of a constructed element's contents."""
    out, rest = [], contents
    while rest:
        class_, _, tag, header, body, _ = parser.parse(rest)
        out.append(Element(class_, tag, body))
        rest = rest[len(header) + len(body):]
    return out


def main(directory):
    d = Path(directory)
    read = lambda name: (d / name).read_bytes()
    sod = read("EF.SOD")
    info = cms.ContentInfo.load(inner(sod, 23))
    signed = info["content"]
    assert signed["version"].native == "v3"
    encap = signed["encap_content_info"]
    assert encap["content_type"].dotted == "2.23.136.1.1.1"
    lds = Lds.load(encap["content"].native)
    hashes = {h["number"].native: h["hash"].native for h in lds["hashes"]}
    files = {1: "EF.DG1", 2: "EF.DG2", 13: "EF.DG13", 14: "EF.DG14", 15: "EF.DG15"}
    hashes_match = all(
        hashes.get(n) == hashlib.sha256(read(f)).digest() for n, f in files.items()
    ) and set(hashes) == set(files)
    signer_cert = signed["certificates"][0].chosen
    attrs = {a["type"].native: a["values"][0] for a in signed["signer_infos"][0]["signed_attrs"]}
    assert attrs["message_digest"].native == hashlib.sha256(encap["content"].native).digest()
    _, _, csca_der = pem.unarmor(read("csca.pem"))
    csca = x509.Certificate.load(csca_der)
    ds_ext = {e["extn_id"].native: e for e in signer_cert["tbs_certificate"]["extensions"]}

    dg1 = children(inner(read("EF.DG1"), 1))[0]
    assert dg1.tag == 0x1F, dg1.tag
    dg13 = Dg13Body.load(inner(read("EF.DG13"), 13))
    fields = {}
    for field in dg13["fields"]:
        values = [field["value"].parsed.native]
        if not isinstance(field["second"], core.Void):
            values.append(field["second"].parsed.native)
        fields[str(field["number"].native)] = values
    text = [v for vs in fields.values() for v in vs]

    # DG2: 7F61 { 02 count, 7F60 { A1 header, 5F2E record } }, the record ISO/IEC 19794-5.
    group = children(inner(read("EF.DG2"), 21))[0]
    template = [c for c in children(group.contents) if c.tag == 0x60][0]
    record = [c for c in children(template.contents) if c.tag == 0x2E][0].contents
    assert record[:8] == b"FAC\x00010\x00"
    (length,) = struct.unpack(">I", record[8:12])
    assert length == len(record)
    (points,) = struct.unpack(">H", record[18:20])
    image = record[14 + 20 + 8 * points + 12:]

    print(json.dumps({
        "hashes_match": hashes_match,
        "signer_subject": signer_cert.subject.native,
        "csca_subject": csca.subject.native,
        "csca_is_ca": csca.ca,
        "ds_key_usage_critical": ds_ext["key_usage"]["critical"].native,
        "ds_private_key_usage_end": ds_ext["private_key_usage_period"]["extn_value"].parsed["not_after"].native.isoformat(),
        "mrz": dg1.contents.decode("ascii"),
        "dg13": fields,
        "dg13_is_nfc": all(unicodedata.is_normalized("NFC", t) for t in text),
        "portrait_is_the_file": image == read("portrait.jpg"),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1])
