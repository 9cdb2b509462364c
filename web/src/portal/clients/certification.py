"""The certification service (`/api/certifications`): the citizen's requests for the
certification of residence in a sector, with the identity document and the
self-certification attached."""

from __future__ import annotations

from portal.api import FileUpload, Multipart, parse
from portal.clients.base import Page, RequestSummary, ServiceClient

PREFIX = "/api/certifications"


class CertificationRequest(RequestSummary):
    """Fields of its own (sector, validity) come with the certification pages."""


class CertificationClient(ServiceClient):
    async def list_requests(self) -> Page[CertificationRequest]:
        """The logged-in citizen's own requests."""
        return parse(Page[CertificationRequest], await self._user_call("GET", f"{PREFIX}/requests"))

    async def submit_request(
        self, sector_code: str, identity_document: FileUpload, self_certification: FileUpload
    ) -> CertificationRequest:
        """The files go to the service as they are read from the browser's upload."""
        body = Multipart(
            fields={"sector_code": sector_code},
            files={"identity_document": identity_document, "self_certification": self_certification},
        )
        response = await self._user_call("POST", f"{PREFIX}/requests", multipart=body)
        return parse(CertificationRequest, response)
