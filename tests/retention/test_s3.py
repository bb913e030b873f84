"""The reaper with blobs on S3 (moto's server on loopback): the objects leave the bucket."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from sealgate.bootstrap import open_runtime
from sealgate.directory import add_account, create_org
from sealgate.intake import ReadableMessage
from sealgate.retention import reap
from sealgate.store import LinkToken, Message, Recipient, utcnow
from tests.conftest import Sender, make_settings
from tests.lab.s3_lab import S3Lab
from tests.portal.recipients import Spec, store_for


def test_past_retention_the_objects_are_gone_from_the_bucket(
    tmp_path: Path, database_url: str, tls_files, s3_lab: S3Lab
) -> None:
    bucket = s3_lab.new_bucket()
    settings = make_settings(tmp_path, database_url, tls_files, **s3_lab.settings_env(bucket))
    rt = open_runtime(settings, create=True)
    try:
        with rt.db.begin() as session:
            create_org(session, "Hospital", ["hospital.example"])
            add_account(session, "alice@hospital.example", "Hospital", "alice-pw", "Alice Arts")
        alice = Sender("Hospital", "alice@hospital.example", "Alice Arts", "", "")
        kept = store_for(rt, alice, [Spec("carol@example.net")], subject="kept")
        store_for(rt, alice, [Spec("bob@example.org")], attachment=b"%PDF-1.7 lab results")
        objects = s3_lab.keys(bucket)
        assert len(objects) == 5  # raw + readable each, and the second one's attachment
        with rt.db.begin() as session:
            # The first message's link lives on (another year); the second's ran out long ago.
            session.execute(
                update(LinkToken)
                .where(LinkToken.recipient_id == kept["carol@example.net"].recipient_id)
                .values(expires_at=utcnow() + timedelta(days=400))
            )
        result = reap(rt, utcnow() + timedelta(days=121))
        assert result.to_json() == {"messages": 1, "blobs": 3, "pending": 0, "pseudonymised": 0}
        left = s3_lab.keys(bucket)
        assert len(left) == 2 and set(left) < set(objects)
        assert not (tmp_path / "data" / "blobs").exists()
        with rt.db.begin() as session:
            recipient = session.get_one(Recipient, kept["carol@example.net"].recipient_id)
            blob = session.get_one(Message, recipient.message_id).content_blob_id
        assert ReadableMessage.from_json(rt.vault.get_bytes(blob)).subject == "kept"
    finally:
        rt.close()
