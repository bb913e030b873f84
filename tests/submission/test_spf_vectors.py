"""The RFC 7208 SPF test suite, run against `sealgate.submission.spf.evaluate` (i.e. pyspf).

Source: the openspf.org test suite, release 2014.04, based on RFC 7208 ("rfc7208-tests.yml",
by Stuart D Gathman, Julian Mehnle et al.; see rfc7208-tests.LICENSE next to it), as shipped
in tests/vectors/spf/ (also in pyspf's source distribution, test/rfc7208-tests.yml).

Each scenario's `zonedata` is served through pyspf's DNS lookup hook exactly the way pyspf's own
runner (pyspf-2.0.14 test/testspf.py) does it — including its conventions: a `TIMEOUT` entry
raises a TempError, names starting with `error.` that are absent time out, SPF (type 99) records
are copied to TXT when a name has no TXT, and one level of CNAME is followed. Every test asserts
that the result is one of the suite's expected results.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import spf

from sealgate.submission.spf import evaluate

try:
    import yaml
except ImportError:  # pragma: no cover - pyyaml is in the test extras
    yaml = None

SUITE = Path(__file__).resolve().parents[1] / "vectors" / "spf" / "rfc7208-tests.yml"

Zone = dict[str, list[Any]]


def _rdata(records: list[Any], name: str) -> Iterator[Any]:
    """Zone entries as (type, value, name) tuples, like testspf.getrdata."""
    generated_txt = []
    has_txt = False
    for entry in records:
        if not isinstance(entry, dict):
            yield entry  # the bare string "TIMEOUT"
            continue
        for rdtype, value in entry.items():
            if rdtype in ("TXT", "SPF") and isinstance(value, str):
                value = (value,)
            if rdtype == "TXT":
                has_txt = True
            elif rdtype == "SPF":
                generated_txt.append(("TXT", value, name))
            if value != ("NONE",):
                yield (rdtype, value, name)
    if not has_txt:
        yield from generated_txt


def _zone_lookup(zone: Zone) -> Any:
    def lookup(name: str, qtype: str, strict: bool = True, timeout: Any = None, level: int = 0):
        labels = []
        for label in name.split("."):
            if label:
                if len(label) > 63:
                    raise spf.TempError("DNS label too long")
                labels.append(label)
        name = ".".join(labels)
        entries = zone.get(name.lower())
        if entries is None:
            if name.startswith("error."):
                raise spf.TempError("DNS timeout")
            return
        no_record_of_type = True
        for entry in entries:
            if entry == "TIMEOUT":
                if no_record_of_type:
                    raise spf.TempError("DNS timeout")
                return
            rdtype, value, owner = entry
            if rdtype == qtype:
                no_record_of_type = False
            if value == "TIMEOUT":
                if rdtype == qtype:
                    raise spf.TempError("DNS timeout")
                continue
            if rdtype == "AAAA":
                value = socket.inet_pton(socket.AF_INET6, value)
            elif rdtype in ("TXT", "SPF"):
                value = tuple(part.encode("utf-8") for part in value)
            yield ((owner, rdtype), value)
            if not level and rdtype == "CNAME":
                yield from lookup(value, qtype, strict, timeout, 1)

    return lookup


def _cases() -> list[Any]:
    if yaml is None or not SUITE.exists():
        return [
            pytest.param(None, None, marks=pytest.mark.skip(reason=f"{SUITE} or pyyaml absent"))
        ]
    cases = []
    with SUITE.open("rb") as handle:
        for scenario in yaml.safe_load_all(handle):
            zone = {
                name.lower(): list(_rdata(records, name))
                for name, records in scenario["zonedata"].items()
            }
            for test_name, test in scenario["tests"].items():
                cases.append(pytest.param(zone, test, id=test_name))
    return cases


@pytest.mark.parametrize(("zone", "test"), _cases())
def test_rfc7208_suite(zone: Zone, test: dict[str, Any]) -> None:
    expected = test["result"]
    expected = [expected] if isinstance(expected, str) else list(expected)
    result = evaluate(test["host"], test["mailfrom"], test["helo"], _zone_lookup(zone))
    assert result.result in expected, test.get("description")
