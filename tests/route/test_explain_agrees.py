"""`sealgate explain` decides through route's own path: the same message, the same decision."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.cli.explain import Draft, decide_draft
from sealgate.store import Recipient
from sealgate.transport import UnknownTransport
from tests.conftest import Sender
from tests.intake.conftest import Submit
from tests.route.pipeline import process_incoming
from tests.route.test_routing import PATIENT, _add_contact, _mail

HEADERS = {
    "none": {},
    "access right": {"zivver_access_right": f"{PATIENT} sms +31612345678"},
    "verification minimum": {"zivver_minimum_recipient_verification": "email-verification"},
}


@pytest.mark.parametrize("headers", HEADERS.values(), ids=HEADERS.keys())
def test_explain_and_route_decide_alike(
    runtime: Runtime, sender: Sender, submit: Submit, headers: dict[str, str]
) -> None:
    _add_contact(runtime, "sms", phone="+31687654321", opened=True)
    submit(_mail(**headers), [PATIENT])
    assert process_incoming(runtime) == 1
    draft = Draft(sender=sender.address, to=[PATIENT], envelope=[PATIENT])
    for name, value in headers.items():
        draft.controls[name.replace("_", "-")].append(value)
    region = runtime.settings.policy.default_phone_region
    with runtime.db.begin() as session:
        [[(address, explained)]] = decide_draft(session, draft, UnknownTransport(), region)
        routed = session.scalars(select(Recipient.decision)).one()
    assert address == PATIENT
    assert explained.to_json() == routed
