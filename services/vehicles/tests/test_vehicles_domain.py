"""The pure rules of the vehicles service: plates, the "Nuova Targa" form, decisions."""

from __future__ import annotations

import pytest

from kit.errors import Conflict, Invalid
from vehicles.domain.plates import (
    PlateKind,
    italian_kind,
    normalize_plate,
    plate_errors,
    plate_kind,
    search_term,
)
from vehicles.domain.requests import (
    RequestStatus,
    electric_on_approval,
    ensure_pending,
    status_label,
)
from vehicles.domain.vehicles import (
    Fuel,
    PlateRequestForm,
    declare_vehicle,
    document_label,
    fuel_of,
    parse_choice,
)

# Plates


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("ab 123 cd", "AB123CD"),
        ("AB-123-CD", "AB123CD"),
        ("  ab123cd\t", "AB123CD"),
        ("ce a12345", "CEA12345"),
        ("Roma 00000A", "ROMA00000A"),
        ("M.AB 1234", "MAB1234"),
    ],
)
def test_normalize_plate_upper_cases_and_drops_separators(typed: str, normalized: str) -> None:
    assert normalize_plate(typed) == normalized


@pytest.mark.parametrize(
    ("plate", "kind"),
    [
        ("AB123CD", PlateKind.CAR),
        ("GH456ZZ", PlateKind.CAR),
        ("AB12345", PlateKind.MOTORCYCLE),
        ("ZX00001", PlateKind.MOTORCYCLE),
        ("NA123456", PlateKind.PROVINCIAL),
        ("CE12345", PlateKind.MOTORCYCLE),  # both formats fit: the newer one wins
        ("CE1234", PlateKind.PROVINCIAL),
        ("CEA12345", PlateKind.PROVINCIAL),
        ("MI0A1234", PlateKind.PROVINCIAL),
        ("TO99A12", PlateKind.PROVINCIAL),
        ("NA12345B", PlateKind.PROVINCIAL),
        ("ROMA00000A", PlateKind.ROMA),
        ("ROMA123456", PlateKind.ROMA),
        ("ROMAA12345", PlateKind.ROMA),
        ("X2B4FC", PlateKind.MOPED),
        ("X12345", PlateKind.MOPED),
    ],
)
def test_italian_plates_of_every_kind_are_recognised(plate: str, kind: PlateKind) -> None:
    assert italian_kind(plate) is kind


@pytest.mark.parametrize(
    "plate",
    [
        "",
        "A",
        "AB123C",  # a letter short
        "AB1234CD",  # a digit too many
        "AO123CD",  # O is never used by the national series (0 mistyped)
        "AB123CI",  # nor I
        "QU12345",  # nor Q and U on motorcycles
        "1234567",
        "ABCDEFG",
        "XX123456",  # XX is no province
        "NAABCDEF",  # an old serial has one letter at most
        "NA12AB34",
        "NA1234567",  # seven characters after the province
        "ROMA",
        "ROMAABCDE",
        "X1234",  # a moped plate has six characters
        "AB123CD!",
        "AB123ÇD",
    ],
)
def test_invalid_italian_plates_are_refused(plate: str) -> None:
    assert italian_kind(plate) is None
    assert plate_kind(plate, foreign=False) is None


@pytest.mark.parametrize("plate", ["M1234", "B123XY", "AB", "1234567890", "WOB1234Q", "OU812"])
def test_foreign_plates_need_only_two_to_ten_letters_or_digits(plate: str) -> None:
    assert plate_kind(plate, foreign=True) is PlateKind.FOREIGN


@pytest.mark.parametrize("plate", ["A", "12345678901", "AB_12", "ÄB1234", "AB12/3"])
def test_foreign_plates_with_other_characters_or_lengths_are_refused(plate: str) -> None:
    assert plate_kind(plate, foreign=True) is None


def test_plate_errors_report_both_fields_at_once() -> None:
    errors = plate_errors("AB12", "", foreign=False)
    assert [(e.field, e.code) for e in errors] == [
        ("plate", "plate_invalid"),
        ("plate_confirmation", "required"),
    ]


def test_plate_confirmation_is_compared_normalised() -> None:
    assert plate_errors("ab 123 cd", "AB-123-CD", foreign=False) == []
    [mismatch] = plate_errors("AB123CD", "AB123CE", foreign=False)
    assert (mismatch.field, mismatch.code, mismatch.message) == (
        "plate_confirmation",
        "plate_mismatch",
        "Le due targhe non coincidono.",
    )


def test_a_missing_plate_is_required_not_mismatched() -> None:
    errors = plate_errors("", "AB123CD", foreign=False)
    assert [(e.field, e.code) for e in errors] == [("plate", "required")]


def test_foreign_plate_error_says_what_a_foreign_plate_needs() -> None:
    [error] = plate_errors("A", "A", foreign=True)
    assert error.code == "plate_invalid"
    assert "estera" in error.message


def test_search_term_keeps_only_letters_and_digits() -> None:
    assert search_term(" ab-12\x00%_") == "AB12"


# The form


def _form(**overrides: str) -> PlateRequestForm:
    values = {
        "plate": "ab 123 cd",
        "plate_confirmation": "AB123CD",
        "foreign": "false",
        "make": "  Fiat ",
        "model": "Panda   4x4",
        "fuel": "Benzina",
        "owned": "true",
    }
    return PlateRequestForm(**{**values, **overrides})


def test_a_complete_form_declares_the_normalised_vehicle() -> None:
    declaration = declare_vehicle(_form(), documents={"registration_document"})
    assert declaration.plate == "AB123CD"
    assert (declaration.make, declaration.model) == ("Fiat", "Panda 4x4")
    assert declaration.fuel is Fuel.BENZINA
    assert (declaration.foreign, declaration.owned) == (False, True)


def test_foreign_may_be_left_out_and_means_an_italian_plate() -> None:
    assert declare_vehicle(_form(foreign=""), documents={"registration_document"}).foreign is False


def test_a_foreign_plate_skips_the_italian_formats() -> None:
    declaration = declare_vehicle(
        _form(plate="m-ab 1234", plate_confirmation="MAB1234", foreign="TRUE"),
        documents={"registration_document"},
    )
    assert (declaration.plate, declaration.foreign) == ("MAB1234", True)


def test_every_error_of_the_form_comes_at_once() -> None:
    with pytest.raises(Invalid) as refused:
        declare_vehicle(
            PlateRequestForm(
                plate="AB12",
                plate_confirmation="CD34",
                foreign="forse",
                make="",
                model="x" * 61,
                fuel="carbone",
                owned="",
            ),
            documents=set(),
        )
    assert {(e.field, e.code) for e in refused.value.errors} == {
        ("foreign", "invalid_choice"),
        ("plate", "plate_invalid"),
        ("plate_confirmation", "plate_mismatch"),
        ("make", "required"),
        ("model", "too_long"),
        ("fuel", "invalid_choice"),
        ("owned", "required"),
        ("registration_document", "file_required"),
    }


def test_the_attestation_is_required_only_for_a_vehicle_not_in_the_citizens_name() -> None:
    with pytest.raises(Invalid) as refused:
        declare_vehicle(_form(owned="false"), documents={"registration_document"})
    [error] = refused.value.errors
    assert (error.field, error.code) == ("availability_attestation", "file_required")
    declared = declare_vehicle(
        _form(owned="false"), documents={"registration_document", "availability_attestation"}
    )
    assert declared.owned is False
    assert declare_vehicle(_form(owned="true"), documents={"registration_document"}).owned is True


@pytest.mark.parametrize("name", ["Mercedes-Benz", "Citroën", "Classe A 180 d", "Q4 e-tron", "500X", "D.S."])
def test_real_make_and_model_names_are_accepted(name: str) -> None:
    declaration = declare_vehicle(_form(make=name, model=name), documents={"registration_document"})
    assert declaration.make == name


@pytest.mark.parametrize("name", ["Fiat\x00", "<script>", "-Fiat", "Fi\u0007at"])
def test_make_and_model_refuse_control_characters_and_markup(name: str) -> None:
    with pytest.raises(Invalid) as refused:
        declare_vehicle(_form(make=name), documents={"registration_document"})
    assert [(e.field, e.code) for e in refused.value.errors] == [("make", "invalid_characters")]


def test_fuels_have_italian_labels_and_only_elettrica_is_electric() -> None:
    assert [f.value for f in Fuel] == ["benzina", "diesel", "gpl", "metano", "ibrida", "elettrica"]
    assert Fuel.GPL.label == "GPL"
    assert Fuel.ELETTRICA.label == "Elettrica"
    assert [f for f in Fuel if f.is_electric] == [Fuel.ELETTRICA]
    assert fuel_of(" Elettrica ") is Fuel.ELETTRICA
    assert fuel_of("nucleare") is None


def test_choices_are_true_or_false_only() -> None:
    assert (parse_choice("true"), parse_choice(" FALSE ")) == (True, False)
    assert parse_choice("si") is None
    assert parse_choice("") is None


def test_documents_have_italian_labels() -> None:
    assert document_label("registration_document") == "Libretto di circolazione"
    assert document_label("availability_attestation") == "Attestazione di disponibilità"


# Decisions


def test_statuses_have_italian_labels() -> None:
    assert [status_label(s) for s in RequestStatus] == ["In attesa di esito", "Approvata", "Rifiutata"]


def test_only_a_pending_request_can_be_decided() -> None:
    ensure_pending("pending")
    for decided in ("approved", "rejected"):
        with pytest.raises(Conflict) as refused:
            ensure_pending(decided)
        assert refused.value.code == "request_already_decided"


def test_electric_defaults_to_the_declared_fuel_unless_the_operator_says() -> None:
    assert electric_on_approval("elettrica", None) is True
    assert electric_on_approval("ibrida", None) is False
    assert electric_on_approval("ibrida", True) is True
    assert electric_on_approval("elettrica", False) is False
