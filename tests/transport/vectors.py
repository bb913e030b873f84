"""Reader for OpenSSL's DANE test data (test/danetest.in, test/dane-cross.in, OpenSSL 3.0).

Each case is a header line `<TLSA-count> <cert-count> <nonamechecks> <verify-result>
<match-depth>` (OpenSSL's own header comment; the shared README's summary of it is shorter),
then that many `usage selector mtype hex` lines, then that many PEM certificates, leaf first.
As in OpenSSL's danetest.c, only the first <TLSA-count> record lines count: cases 43-46 of
danetest.in list a second record that OpenSSL's reader skips as junk before the PEM, and so
does this one (PEM reading skips any line before BEGIN).
Comment lines (#), blank lines and the `subject=`/`issuer=`/`notBefore=` lines are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from sealgate.transport.tlsa import TLSARecord

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "openssl-dane"
# The reference names OpenSSL's test recipe (test/recipes/80-test_dane.t) passes as basedomain.
BASE_DOMAINS = {"danetest.in": "example.com", "dane-cross.in": "server.example"}

# OpenSSL X509_V_* codes that appear in the data.
X509_V_OK = 0
X509_V_ERR_HOSTNAME_MISMATCH = 62
X509_V_ERR_DANE_NO_MATCH = 65


@dataclass(frozen=True)
class VectorCase:
    source: str
    number: int
    title: str
    no_name_checks: bool
    verify_result: int
    match_depth: int
    records: tuple[TLSARecord, ...]
    chain: tuple[x509.Certificate, ...]

    @property
    def name(self) -> str:
        return f"{self.source}#{self.number}"


def load_cases(path: Path) -> list[VectorCase]:
    lines = path.read_text().splitlines()
    cases: list[VectorCase] = []
    comments: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index].strip()
        index += 1
        if line.startswith("#"):
            comments.append(line.lstrip("# ").strip())
            continue
        if not line:
            continue
        fields = line.split()
        if len(fields) != 5:
            raise ValueError(f"{path.name}:{index}: expected a case header, got {line!r}")
        n_tlsa, n_certs, no_names, result, depth = (int(field) for field in fields)
        records = tuple(TLSARecord.from_text(lines[index + i]) for i in range(n_tlsa))
        index += n_tlsa
        chain, index = _read_certificates(lines, index, n_certs)
        numbers = [i for i, c in enumerate(comments) if c.isdigit()]
        number = int(comments[numbers[-1]]) if numbers else len(cases) + 1
        title = " ".join(comments[numbers[-1] + 1 :] if numbers else comments).strip()
        cases.append(
            VectorCase(path.name, number, title, bool(no_names), result, depth, records, chain)
        )
        comments = []
    return cases


def _read_certificates(
    lines: list[str], index: int, count: int
) -> tuple[tuple[x509.Certificate, ...], int]:
    certs: list[x509.Certificate] = []
    while len(certs) < count:
        if index >= len(lines):
            raise ValueError("file ends inside a certificate chain")
        if lines[index].strip() != "-----BEGIN CERTIFICATE-----":
            index += 1
            continue
        end = lines.index("-----END CERTIFICATE-----", index)
        pem = "\n".join(lines[index : end + 1]) + "\n"
        certs.append(x509.load_pem_x509_certificate(pem.encode()))
        index = end + 1
    return tuple(certs), index
