#!/usr/bin/env python3
"""Writes the fixtures of the simulated TDX machine (attest/tdx_sim.h): a
synthetic Intel-like DCAP PKI (NOT Intel's keys) and a v4 quote template.

Everything is built from the real quote and collateral in
../shared/vectors/tdx (dcap-qvl_tdx_quote_v4.*), so that the quote's TCB
fields, the QE report and the PCK certificate's platform data evaluate to
"UpToDate" against Intel's own TCB Info and QE Identity, but every signature
comes from a synthetic key. Written here:

  root.der             self-signed "Synthetic SGX Root CA (not Intel)", P-256,
                       CA pathlen 1, keyCertSign|cRLSign (as Intel's root)
  pck_platform_ca.der  "Synthetic SGX PCK Platform CA (not Intel)", CA pathlen 0,
                       signed by the root
  pck.der              CN "Intel SGX PCK Certificate" (the verifier requires the
                       CN), signed by the Platform CA; its SGX extension
                       (1.2.840.113741.1.13.1: PPID, TCB components, PCESVN,
                       CPUSVN, PCE-ID, FMSPC, SGX type) is the same DER value as
                       in the real PCK certificate, so FMSPC b0c06f000000 and
                       the platform TCB match the real TCB Info
  tcb_signing.der      CN "Intel SGX TCB Signing" (required CN), signed by the root
  root_ca_crl.der      by the root, empty
  pck_crl.der          by the Platform CA, revoking one unrelated serial (0x0bad)
  collateral.json      QuoteCollateralV3 JSON in the real file's shape: the
                       CRLs above, the issuer chains, and the real tcb_info /
                       qe_identity text with only issueDate and nextUpdate
                       replaced, each re-signed (ECDSA P-256 SHA-256, hex r||s)
                       with the synthetic TCB signing key over the exact text
  attestation_key.p8   the attestation key, P-256, PKCS#8 DER
  quote_template.bin   a complete v4 quote: the real header; the real TD report
                       body with MRTD, MRCONFIGID, MROWNER, MROWNERCONFIG,
                       RTMR0..3 and REPORTDATA zeroed (TEE_TCB_SVN, MRSEAM,
                       MRSIGNERSEAM, attributes and XFAM kept); an attestation
                       key signature over header||body; the real QE report with
                       REPORTDATA = SHA-256(attestation key || QE auth data) ||
                       32 zero bytes, signed by pck.der's key; the real 32-byte
                       QE auth data; and the synthetic PCK chain as PEM (leaf,
                       CA, root, NUL-terminated, as the real quote carries it)
  index.json           the window, file names and values the test reads

Certificates, CRLs and collateral are all valid from 2024-01-01T00:00:00Z
until 2034-01-01T00:00:00Z (exclusive), so a verifier run at any time in
that window accepts a simulated quote with TCB status UpToDate.

Keys are derived from fixed labels (they are test keys and public by
construction: anyone can recompute them), so reruns give the same keys and
names; ECDSA signatures are randomised, so signature bytes differ per run.
The committed outputs are what the tests use. Run with python3 and the
`cryptography` package (>= 41), in this directory:
  python3 make_tdx_sim.py [path to shared/vectors/tdx]
"""
import datetime
import hashlib
import json
import os
import struct
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID, ObjectIdentifier

NOT_BEFORE = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
NOT_AFTER = datetime.datetime(2034, 1, 1, tzinfo=datetime.timezone.utc)
ISSUE_DATE = "2024-01-01T00:00:00Z"
NEXT_UPDATE = "2034-01-01T00:00:00Z"
SGX_EXTENSION = ObjectIdentifier("1.2.840.113741.1.13.1")
ORG = "EphemeralML synthetic test PKI (not Intel)"
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

# TDX v4 quote layout (docs/attestation-tdx.md, "Quote layout").
HEADER_SIZE = 48
BODY_SIZE = 584
BODY_ZEROED = (136, 584)  # MRTD .. REPORTDATA (MRSEAM etc. come before)
QE_REPORT_SIZE = 384
QE_REPORT_DATA = 320


def key(label):
    """A P-256 key derived from a public label (a test key, never a secret)."""
    digest = hashlib.sha256(b"eml tdx_sim test key: " + label.encode()).digest()
    return ec.derive_private_key(int.from_bytes(digest, "big") % (P256_ORDER - 1) + 1,
                                 ec.SECP256R1())


def name(cn):
    return x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORG),
        x509.NameAttribute(NameOID.LOCALITY_NAME, "Santa Clara"),
        x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "CA"),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
    ])


def usage(sign_certs):
    return x509.KeyUsage(
        digital_signature=not sign_certs, content_commitment=not sign_certs,
        key_encipherment=False, data_encipherment=False, key_agreement=False,
        key_cert_sign=sign_certs, crl_sign=sign_certs, encipher_only=False, decipher_only=False)


def certificate(subject, subject_key, issuer, issuer_key, serial, path_length=None, ca=False,
                extra=()):
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
         .public_key(subject_key.public_key()).serial_number(serial)
         .not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
             issuer_key.public_key()), critical=False)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key()),
                        critical=False)
         .add_extension(usage(ca), critical=True)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True))
    for ext in extra:
        b = b.add_extension(ext, critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def crl(issuer, issuer_key, revoked_serials):
    b = (x509.CertificateRevocationListBuilder().issuer_name(issuer)
         .last_update(NOT_BEFORE).next_update(NOT_AFTER)
         .add_extension(x509.CRLNumber(1), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
             issuer_key.public_key()), critical=False))
    for serial in revoked_serials:
        b = b.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(serial)
                                      .revocation_date(NOT_BEFORE).build())
    return b.sign(issuer_key, hashes.SHA256())


def raw_signature(private_key, message):
    """ECDSA P-256 SHA-256 as the quote and the collateral store it: r || s."""
    r, s = decode_dss_signature(private_key.sign(message, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def pem(*certs):
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def with_window(text):
    """The signed body with only its issueDate and nextUpdate replaced."""
    body = json.loads(text)
    for field, value in (("issueDate", ISSUE_DATE), ("nextUpdate", NEXT_UPDATE)):
        old = '"%s":"%s"' % (field, body[field])
        assert text.count(old) == 1, old
        text = text.replace(old, '"%s":"%s"' % (field, value))
    return text


def split_quote(quote):
    """Header, body, and from the signature data: QE report and QE auth data."""
    header, body = quote[:HEADER_SIZE], quote[HEADER_SIZE:HEADER_SIZE + BODY_SIZE]
    sig_data = quote[HEADER_SIZE + BODY_SIZE + 4:]
    cert_type, = struct.unpack_from("<H", sig_data, 128)
    assert cert_type == 6
    cert_data = sig_data[134:]
    qe_report = cert_data[:QE_REPORT_SIZE]
    auth_size, = struct.unpack_from("<H", cert_data, QE_REPORT_SIZE + 64)
    auth = cert_data[QE_REPORT_SIZE + 66:QE_REPORT_SIZE + 66 + auth_size]
    return header, body, qe_report, auth


def real_pck_leaf(quote):
    begin = quote.index(b"-----BEGIN CERTIFICATE-----")
    return x509.load_pem_x509_certificate(quote[begin:quote.index(b"\0", begin)])


def build_quote(real_quote, ak, pck_key, chain_pem):
    header, body, qe_report, auth = split_quote(real_quote)
    body = bytearray(body)
    body[BODY_ZEROED[0]:BODY_ZEROED[1]] = bytes(BODY_ZEROED[1] - BODY_ZEROED[0])
    ak_raw = ak.public_key().public_bytes(serialization.Encoding.X962,
                                          serialization.PublicFormat.UncompressedPoint)[1:]
    qe_report = bytearray(qe_report)
    qe_report[QE_REPORT_DATA:] = hashlib.sha256(ak_raw + auth).digest() + bytes(32)
    qe_report = bytes(qe_report)
    chain = chain_pem + b"\0"
    cert_data = (qe_report + raw_signature(pck_key, qe_report) + struct.pack("<H", len(auth)) +
                 auth + struct.pack("<HI", 5, len(chain)) + chain)
    signed = header + bytes(body)
    sig_data = (raw_signature(ak, signed) + ak_raw + struct.pack("<HI", 6, len(cert_data)) +
                cert_data)
    return signed + struct.pack("<I", len(sig_data)) + sig_data, ak_raw


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    vectors = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        here, "../../../../../shared/vectors/tdx")
    with open(os.path.join(vectors, "dcap-qvl_tdx_quote_v4.dat"), "rb") as f:
        real_quote = f.read()
    with open(os.path.join(vectors, "dcap-qvl_tdx_quote_v4.collateral.json")) as f:
        real = json.load(f)

    root_key, ca_key, pck_key = key("root"), key("pck platform ca"), key("pck")
    tcb_key, ak = key("tcb signing"), key("attestation key")
    root_name = name("Synthetic SGX Root CA (not Intel)")
    ca_name = name("Synthetic SGX PCK Platform CA (not Intel)")
    root = certificate(root_name, root_key, root_name, root_key, 0x5107, path_length=1, ca=True)
    ca = certificate(ca_name, ca_key, root_name, root_key, 0x5108, path_length=0, ca=True)
    sgx = real_pck_leaf(real_quote).extensions.get_extension_for_oid(SGX_EXTENSION).value
    pck = certificate(name("Intel SGX PCK Certificate"), pck_key, ca_name, ca_key, 0x5109,
                      extra=[x509.UnrecognizedExtension(SGX_EXTENSION, sgx.value)])
    tcb = certificate(name("Intel SGX TCB Signing"), tcb_key, root_name, root_key, 0x510A)
    root_crl = crl(root_name, root_key, [])
    pck_crl = crl(ca_name, ca_key, [0x0BAD])

    tcb_info = with_window(real["tcb_info"])
    qe_identity = with_window(real["qe_identity"])
    collateral = {
        "pck_crl_issuer_chain": pem(ca, root).decode(),
        "root_ca_crl": root_crl.public_bytes(serialization.Encoding.DER).hex(),
        "pck_crl": pck_crl.public_bytes(serialization.Encoding.DER).hex(),
        "tcb_info_issuer_chain": pem(tcb, root).decode(),
        "tcb_info": tcb_info,
        "tcb_info_signature": raw_signature(tcb_key, tcb_info.encode()).hex(),
        "qe_identity_issuer_chain": pem(tcb, root).decode(),
        "qe_identity": qe_identity,
        "qe_identity_signature": raw_signature(tcb_key, qe_identity.encode()).hex(),
    }
    assert list(collateral) == list(real), "collateral keys differ from the real file's"
    quote, ak_raw = build_quote(real_quote, ak, pck_key, pem(pck, ca, root))

    der = serialization.Encoding.DER
    outputs = {
        "root.der": root.public_bytes(der),
        "pck_platform_ca.der": ca.public_bytes(der),
        "pck.der": pck.public_bytes(der),
        "tcb_signing.der": tcb.public_bytes(der),
        "root_ca_crl.der": root_crl.public_bytes(der),
        "pck_crl.der": pck_crl.public_bytes(der),
        "collateral.json": (json.dumps(collateral, indent=1) + "\n").encode(),
        "attestation_key.p8": ak.private_bytes(der, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()),
        "quote_template.bin": quote,
    }
    for file, data in outputs.items():
        with open(os.path.join(here, file), "wb") as f:
            f.write(data)
    body = real_quote[HEADER_SIZE:HEADER_SIZE + BODY_SIZE]
    index = {
        "valid_from": ISSUE_DATE, "valid_from_unix": int(NOT_BEFORE.timestamp()),
        "valid_until": NEXT_UPDATE, "valid_until_unix": int(NOT_AFTER.timestamp()),
        "root_sha256": hashlib.sha256(outputs["root.der"]).hexdigest(),
        "attestation_key": ak_raw.hex(),
        "expected_tcb_status": "UpToDate",
        "fmspc": "b0c06f000000",
        "tee_tcb_svn": body[0:16].hex(),
        "mr_seam": body[16:64].hex(),
        "template_size": len(quote),
        "files": sorted(outputs),
        "source": "../shared/vectors/tdx/dcap-qvl_tdx_quote_v4.{dat,collateral.json}",
    }
    with open(os.path.join(here, "index.json"), "w") as f:
        json.dump(index, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
