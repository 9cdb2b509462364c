"""Which schema changes break consumers of an existing event version."""

from typing import Literal

from pydantic import BaseModel, Field

from contracts import compat


class V1(BaseModel):
    plate: str
    amount_cents: int
    note: str | None = None


def _changes(new: type[BaseModel], old: type[BaseModel] = V1) -> list[str]:
    return compat.breaking_changes(old.model_json_schema(), new.model_json_schema())


def test_removing_a_field_is_breaking():
    class V2(BaseModel):
        plate: str
        note: str | None = None

    assert _changes(V2) == ["property 'amount_cents' was removed"]


def test_changing_a_field_type_is_breaking():
    class V2(BaseModel):
        plate: str
        amount_cents: str
        note: str | None = None

    assert _changes(V2) == ["property 'amount_cents' changed its schema"]


def test_adding_a_required_field_is_breaking():
    class V2(V1):
        sector_code: str

    assert _changes(V2) == ["new property 'sector_code' is required"]


def test_making_an_optional_field_required_is_breaking():
    class V2(BaseModel):
        plate: str
        amount_cents: int
        note: str | None

    assert "property 'note' became required" in _changes(V2)


def test_changing_a_default_is_breaking():
    class Old(BaseModel):
        currency: str = "EUR"

    class New(BaseModel):
        currency: str = "USD"

    assert _changes(New, Old) == ["property 'currency' changed its schema"]


def test_a_change_inside_a_referenced_model_is_breaking():
    class AddressV1(BaseModel):
        street: str

    class AddressV2(BaseModel):
        street: int

    class Old(BaseModel):
        address: AddressV1

    class New(BaseModel):
        address: AddressV2

    assert _changes(New, Old) == ["property 'address' changed its schema"]


def test_adding_an_optional_field_is_compatible():
    class V2(V1):
        phone: str | None = None

    assert _changes(V2) == []


def test_changing_descriptions_and_titles_is_compatible():
    class V2(BaseModel):
        """Now documented."""

        plate: str = Field(description="Italian plate, upper case", title="Targa")
        amount_cents: int = Field(examples=[3000])
        note: str | None = Field(None, description="Free text")

    assert _changes(V2) == []


def test_a_field_named_description_is_a_field_not_documentation():
    class Old(BaseModel):
        description: str

    class New(BaseModel):
        description: Literal["a", "b"]

    assert _changes(New, Old) == ["property 'description' changed its schema"]
