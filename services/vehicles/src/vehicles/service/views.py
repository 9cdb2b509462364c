"""How the use cases present their results: the response shapes built from rows."""

from __future__ import annotations

from typing import Any

from vehicles import schemas
from vehicles.domain.requests import status_label
from vehicles.domain.vehicles import Fuel, document_label
from vehicles.models import Plate, PlateRequest


def _request_fields(request: PlateRequest) -> dict[str, Any]:
    return {
        "id": request.id,
        "plate": request.plate,
        "make": request.make,
        "model": request.model,
        "fuel": request.fuel,
        "fuel_label": Fuel(request.fuel).label,
        "status": request.status,
        "status_label": status_label(request.status),
        "submitted_at": request.submitted_at,
        "decided_at": request.decided_at,
        "outcome_reason": request.outcome_reason,
    }


def summary(request: PlateRequest) -> schemas.RequestSummary:
    return schemas.RequestSummary(**_request_fields(request))


def document_info(row: Any) -> schemas.DocumentInfo:
    return schemas.DocumentInfo(
        id=row.id,
        field=row.field,
        label=document_label(row.field),
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        pages=row.pages,
        created_at=row.created_at,
    )


def _detail_fields(request: PlateRequest, documents: list[Any]) -> dict[str, Any]:
    return {
        **_request_fields(request),
        "foreign": request.foreign,
        "owned": request.owned,
        "electric": request.electric,
        "plate_id": request.plate_id,
        "documents": [document_info(row) for row in documents],
    }


def detail(request: PlateRequest, documents: list[Any]) -> schemas.RequestDetail:
    return schemas.RequestDetail(**_detail_fields(request, documents))


def review_summary(row: Any) -> schemas.ReviewSummary:
    request, first_name, last_name, tax_code, email = row
    citizen = (
        schemas.CitizenSummary(first_name=first_name, last_name=last_name, tax_code=tax_code, email=email)
        if tax_code is not None
        else None
    )
    return schemas.ReviewSummary(**_request_fields(request), user_id=request.user_id, citizen=citizen)


def review_detail(
    request: PlateRequest, documents: list[Any], citizen: Any, audit: list[Any]
) -> schemas.ReviewDetail:
    details = (
        schemas.CitizenDetails.model_validate(citizen, from_attributes=True) if citizen is not None else None
    )
    return schemas.ReviewDetail(
        **_detail_fields(request, documents),
        user_id=request.user_id,
        decided_by=request.decided_by,
        citizen=details,
        audit=audit,
    )


def associated_plate(plate: Plate) -> schemas.AssociatedPlate:
    return schemas.AssociatedPlate(
        id=plate.id,
        plate=plate.plate,
        make=plate.make,
        model=plate.model,
        electric=plate.electric,
        associated_at=plate.associated_at,
    )
