"""The documents a certification request carries (Fase 6): both required."""

from __future__ import annotations

IDENTITY_DOCUMENT = "identity_document"
SELF_CERTIFICATION = "self_certification"

# Field of the upload → what citizens and operators read.
REQUEST_DOCUMENTS: dict[str, str] = {
    IDENTITY_DOCUMENT: "Documento d'identità",
    SELF_CERTIFICATION: "Autocertificazione di residenza",
}
