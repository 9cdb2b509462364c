"""Files from a service to the browser: passed on as they arrive, never read whole first, and
the service's answer closed once passed on."""

import httpx
import pytest

from portal.api import ApiProblem, Download, call, create_api_client
from portal.settings import PortalSettings

SETTINGS = PortalSettings(environment="test", api_base_url="http://gateway.test")


class _Source(httpx.AsyncByteStream):
    """A body the test watches: how much was read of it, and whether it was closed."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks, self.served, self.closed = chunks, 0, False

    async def __aiter__(self):
        for chunk in self.chunks:
            self.served += 1
            yield chunk

    async def aclose(self) -> None:
        self.closed = True


async def test_a_streamed_answer_is_not_read_until_passed_on_then_closed():
    source = _Source([b"a" * 10, b"b" * 10, b"c" * 10])

    def service(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=source, headers={"content-type": "application/pdf"})

    async with create_api_client(SETTINGS, transport=httpx.MockTransport(service)) as api:
        download = Download(await call(api, "GET", "/modulo", stream=True))
        assert source.served == 0
        received = [chunk async for chunk in download.chunks()]

    assert b"".join(received) == b"a" * 10 + b"b" * 10 + b"c" * 10
    assert source.closed


async def test_a_refused_download_is_a_problem_and_its_answer_is_closed():
    source = _Source([b'{"status": 404, "code": "not_found", "detail": "Documento non trovato."}'])

    def service(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, stream=source, headers={"content-type": "application/problem+json"})

    async with create_api_client(SETTINGS, transport=httpx.MockTransport(service)) as api:
        with pytest.raises(ApiProblem) as refused:
            await call(api, "GET", "/documento", stream=True)

    assert refused.value.detail == "Documento non trovato."
    assert source.closed


def test_the_browser_gets_the_services_type_and_name_and_no_sniffing():
    response = httpx.Response(
        200,
        content=b"x",
        headers={"content-type": "image/png", "content-disposition": 'inline; filename="p1.png"'},
    )
    headers = Download(response).as_response().headers
    assert headers["content-type"] == "image/png"
    assert headers["content-disposition"] == 'inline; filename="p1.png"'
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-length"] == "1"
