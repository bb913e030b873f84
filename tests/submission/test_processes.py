"""[submission] processes: how many listeners, and the start-up check of the address."""

from __future__ import annotations

import os
import socket

import pytest
from pydantic import ValidationError

from sealgate.config import SubmissionSettings
from sealgate.submission import process_count
from sealgate.submission.processes import check_address_free
from tests.conftest import free_port


def test_processes_is_one_by_default_a_number_or_auto() -> None:
    assert process_count(SubmissionSettings()) == 1
    assert process_count(SubmissionSettings.model_validate({"processes": "3"})) == 3
    auto = process_count(SubmissionSettings(processes="auto"))
    assert auto == len(os.sched_getaffinity(0)) >= 1


@pytest.mark.parametrize("value", [0, 65, "many", -1])
def test_processes_out_of_range_is_a_config_error(value: object) -> None:
    with pytest.raises(ValidationError):
        SubmissionSettings.model_validate({"processes": value})


def test_an_address_in_use_is_refused_before_any_listener_starts() -> None:
    port = free_port()
    check_address_free(f"127.0.0.1:{port}")
    with socket.create_server(("127.0.0.1", port)), pytest.raises(OSError):
        check_address_free(f"127.0.0.1:{port}")
