"""The desk's client sends a request once more when the server had closed the kept-alive
connection under it (seen with 200 desks on two instances), never an enrolment."""

from __future__ import annotations

import httpx
import pytest

from vipdesk.sync.central import CentreUnavailable
from vipdesk.sync.remote import RemoteCentre


def _client(failures: int) -> tuple[RemoteCentre, list[str]]:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if len(calls) <= failures:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return httpx.Response(200, json={"server_time_ms": 42})

    centre = RemoteCentre("https://centre.test", "vdk1.x.y")
    centre.client.close()
    centre.client = httpx.Client(base_url=centre.url, transport=httpx.MockTransport(handler))
    return centre, calls


def test_a_closed_kept_alive_connection_is_tried_once_more() -> None:
    centre, calls = _client(failures=1)
    assert centre.server_time_ms() == 42
    assert len(calls) == 2


def test_twice_closed_is_unavailable() -> None:
    centre, calls = _client(failures=2)
    with pytest.raises(CentreUnavailable):
        centre.server_time_ms()
    assert len(calls) == 2


def test_an_enrolment_is_not_sent_twice() -> None:
    centre, calls = _client(failures=1)
    with pytest.raises(CentreUnavailable):
        centre.enrol("ABCD-EFGH-JKMN", "desk")
    assert len(calls) == 1
