"""A tiny authoritative DNS server on 127.0.0.1 (UDP) for the MX path of the SMTP client.

It answers from a dict of records, like dnspython's own test nanonameserver: enough for MX,
A, AAAA and TXT, NXDOMAIN for names it does not know, and SERVFAIL for names told to fail.
"""

from __future__ import annotations

import asyncio
from typing import Any

import dns.asyncresolver
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, zone: DnsZone) -> None:
        self.zone = zone
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.transport.sendto(self.zone.answer(dns.message.from_wire(data)).to_wire(), addr)


class DnsZone:
    """Records as {("name.", "MX"): ["10 mx.name."]}; `servfail` names always fail."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], list[str]] = {}
        self.servfail: set[str] = set()
        self.port = 0
        self._transport: Any = None

    def add(self, name: str, rdtype: str, *values: str) -> None:
        self.records.setdefault((name.rstrip(".").lower() + ".", rdtype), []).extend(values)

    def add_txt(self, name: str, text: str) -> None:
        """A TXT record holding `text`, cut into the 255-byte strings DNS allows (DKIM keys)."""
        strings = [text[i : i + 255] for i in range(0, len(text), 255)] or [""]
        self.add(name, "TXT", " ".join(f'"{part}"' for part in strings))

    def answer(self, query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        question = query.question[0]
        name = question.name.to_text().lower()
        rdtype = dns.rdatatype.to_text(question.rdtype)
        if name.rstrip(".") in self.servfail:
            response.set_rcode(dns.rcode.SERVFAIL)
        elif (name, rdtype) in self.records:
            response.answer.append(
                dns.rrset.from_text_list(name, 300, "IN", rdtype, self.records[(name, rdtype)])
            )
        elif not any(known == name for known, _ in self.records):
            response.set_rcode(dns.rcode.NXDOMAIN)
        return response

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(self), local_addr=("127.0.0.1", 0)
        )
        self._transport = transport
        self.port = int(transport.get_extra_info("sockname")[1])

    def stop(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def resolver(self) -> dns.asyncresolver.Resolver:
        """A resolver that asks only this zone."""
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        resolver.port = self.port
        resolver.lifetime = 2.0
        return resolver
