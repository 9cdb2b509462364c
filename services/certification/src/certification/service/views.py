"""How the use cases' results are shaped for the API (``certification.schemas``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from certification import schemas
from certification.domain.documents import REQUEST_DOCUMENTS
from certification.domain.statuses import status_label
from certification.models import CertificationRequest, Sector
from kit.documents import StoredDocument


def sector_view(sector: Sector) -> schemas.Sector:
    return schemas.Sector(
        code=sector.code, name=sector.name, description=sector.description, streets=list(sector.streets)
    )


def sector_admin_view(sector: Sector) -> schemas.SectorAdmin:
    return schemas.SectorAdmin(
        **sector_view(sector).model_dump(),
        active=sector.active,
        created_at=sector.created_at,
        updated_at=sector.updated_at,
    )


def request_fields(request: CertificationRequest) -> dict[str, Any]:
    return {
        "id": request.id,
        "sector_code": request.sector_code,
        "sector_name": request.sector_name,
        "status": request.status,
        "status_label": status_label(request.status),
        "submitted_at": request.submitted_at,
        "decided_at": request.decided_at,
        "outcome_reason": request.outcome_reason,
        "certification_id": request.certification_id,
        "valid_from": request.valid_from,
        "valid_until": request.valid_until,
    }


def request_view(request: CertificationRequest) -> schemas.CertificationRequest:
    return schemas.CertificationRequest(**request_fields(request))


def document_view(info: StoredDocument) -> schemas.DocumentInfo:
    return schemas.DocumentInfo(
        id=info.id,
        field=info.field,
        label=REQUEST_DOCUMENTS.get(info.field, info.field),
        filename=info.filename,
        content_type=info.content_type,
        size=info.size,
        created_at=info.created_at,
    )


def citizen_summary(row: Any) -> schemas.CitizenSummary | None:
    if row.tax_code is None:  # no citizens row yet (outer join)
        return None
    return schemas.CitizenSummary(
        first_name=row.first_name, last_name=row.last_name, tax_code=row.tax_code, email=row.email
    )


def citizen_details(row: Mapping[str, Any] | None) -> schemas.CitizenDetails | None:
    if row is None:
        return None
    return schemas.CitizenDetails.model_validate(dict(row))
