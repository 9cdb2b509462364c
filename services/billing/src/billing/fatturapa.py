"""The invoice as a FatturaPA 1.2.2 file (FPR12, TD01), built with a38's model classes,
serialised with lxml, and checked twice before anyone stores it: a38's own rules, and the
official XML schema vendored in ``data/fatturapa/``.

Amounts come from integer cents and are written with exactly two decimals. The one line states
the net price; the summary states the taxable amount and the VAT of the payment's receipt, so
that taxable + VAT is exactly what the citizen paid (``ImportoTotaleDocumento`` and the
``ImportoPagamento`` of the pagoPA payment, mode MP23). Building and validating take a few
milliseconds of CPU: callers run them in a thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.resources import files

import a38.fattura as fpa
from a38.validation import Validation
from lxml import etree

from billing.domain.buyers import NO_RECIPIENT_CODE, Buyer, latin1_text
from billing.domain.money import decimal_amount

SCHEMA_FILE = "Schema_del_file_xml_FatturaPA_v1.2.2.xsd"
FORMAT = "FPR12"
DOCUMENT_TYPE = "TD01"  # fattura
PAYMENT_TERMS = "TP02"  # pagamento completo
PAYMENT_MODE = "MP23"  # PagoPA
VAT_DUE = "I"  # esigibilità immediata
# a38 reports rule 00426 for recipient code 0000000 without a PEC; SDI accepts it for buyers
# who receive their invoices in the Agenzia delle Entrate's reserved area (private persons).
_RESERVED_AREA_RULE = "00426"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"


@dataclass(frozen=True)
class Seller:
    """The Comune as the invoice's "cedente/prestatore"."""

    name: str
    tax_code: str
    vat_number: str
    address_street: str
    address_number: str | None
    postcode: str
    municipality: str
    province: str
    regime: str = "RF01"
    country: str = "IT"


@dataclass(frozen=True)
class InvoiceData:
    """Everything one invoice file states."""

    progressive: str
    number: str
    issue_date: date
    seller: Seller
    buyer: Buyer
    line_description: str
    period: tuple[date, date] | None
    net_cents: int
    vat_cents: int
    amount_cents: int
    vat_rate_percent: int
    currency: str
    # Why the document exists and what it settles (receipt number, IUV): "Causale".
    reason: str
    # The IUV of the pagoPA payment, for reconciliation ("CodicePagamento").
    payment_code: str | None


class InvoiceFileRefused(ValueError):
    """The file broke a38's rules or the schema: ``errors`` says where (for the log)."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def _sede(
    street: str, number: str | None, postcode: str, municipality: str, province: str, country: str
) -> fpa.Sede:
    return fpa.Sede(
        indirizzo=street,
        numero_civico=number,
        cap=postcode,
        comune=municipality,
        provincia=province,
        nazione=country,
    )


def _buyer(buyer: Buyer) -> fpa.CessionarioCommittente:
    if buyer.kind == "company":
        anagrafica = fpa.Anagrafica(denominazione=buyer.company_name)
    else:
        anagrafica = fpa.Anagrafica(nome=buyer.first_name, cognome=buyer.last_name)
    return fpa.CessionarioCommittente(
        dati_anagrafici=fpa.DatiAnagraficiCessionarioCommittente(
            id_fiscale_iva=fpa.IdFiscaleIVA(buyer.country, buyer.vat_number) if buyer.vat_number else None,
            codice_fiscale=buyer.tax_code,
            anagrafica=anagrafica,
        ),
        sede=_sede(
            buyer.address_street,
            buyer.address_number,
            buyer.postcode,
            buyer.municipality,
            buyer.province,
            buyer.country,
        ),
    )


def build_invoice(data: InvoiceData) -> fpa.FatturaPrivati12:
    """The invoice as a38's model of a FatturaPA for private parties."""
    seller, buyer = data.seller, data.buyer
    rate = decimal_amount(data.vat_rate_percent * 100)
    net, vat, total = (decimal_amount(c) for c in (data.net_cents, data.vat_cents, data.amount_cents))
    start, end = data.period if data.period is not None else (None, None)
    return fpa.FatturaPrivati12(
        fattura_elettronica_header=fpa.FatturaElettronicaHeader(
            dati_trasmissione=fpa.DatiTrasmissione(
                id_trasmittente=fpa.IdTrasmittente(seller.country, seller.tax_code),
                progressivo_invio=data.progressive,
                formato_trasmissione=FORMAT,
                codice_destinatario=buyer.recipient_code,
                pec_destinatario=buyer.pec,
            ),
            cedente_prestatore=fpa.CedentePrestatore(
                dati_anagrafici=fpa.DatiAnagraficiCedentePrestatore(
                    id_fiscale_iva=fpa.IdFiscaleIVA(seller.country, seller.vat_number),
                    codice_fiscale=seller.tax_code,
                    anagrafica=fpa.Anagrafica(denominazione=seller.name),
                    regime_fiscale=seller.regime,
                ),
                sede=_sede(
                    seller.address_street,
                    seller.address_number,
                    seller.postcode,
                    seller.municipality,
                    seller.province,
                    seller.country,
                ),
            ),
            cessionario_committente=_buyer(buyer),
        ),
        fattura_elettronica_body=[
            fpa.FatturaElettronicaBody(
                dati_generali=fpa.DatiGenerali(
                    dati_generali_documento=fpa.DatiGeneraliDocumento(
                        tipo_documento=DOCUMENT_TYPE,
                        divisa=data.currency,
                        data=data.issue_date,
                        numero=data.number,
                        importo_totale_documento=total,
                        causale=[latin1_text(data.reason, 200)],
                    )
                ),
                dati_beni_servizi=fpa.DatiBeniServizi(
                    dettaglio_linee=[
                        fpa.DettaglioLinee(
                            numero_linea=1,
                            descrizione=latin1_text(data.line_description, 1000),
                            data_inizio_periodo=start,
                            data_fine_periodo=end,
                            prezzo_unitario=net,
                            prezzo_totale=net,
                            aliquota_iva=rate,
                        )
                    ],
                    dati_riepilogo=[
                        fpa.DatiRiepilogo(
                            aliquota_iva=rate,
                            imponibile_importo=net,
                            imposta=vat,
                            esigibilita_iva=VAT_DUE,
                        )
                    ],
                ),
                dati_pagamento=[
                    fpa.DatiPagamento(
                        condizioni_pagamento=PAYMENT_TERMS,
                        dettaglio_pagamento=[
                            fpa.DettaglioPagamento(
                                modalita_pagamento=PAYMENT_MODE,
                                importo_pagamento=total,
                                codice_pagamento=data.payment_code,
                            )
                        ],
                    )
                ],
            )
        ],
    )


def a38_errors(invoice: fpa.Fattura) -> list[str]:
    """What a38's rules find wrong, but for delivery to the reserved area (``0000000``, no PEC)."""
    validation = Validation()
    invoice.validate(validation)
    transmission = invoice.fattura_elettronica_header.dati_trasmissione
    reserved_area = (
        transmission.codice_destinatario == NO_RECIPIENT_CODE and transmission.pec_destinatario is None
    )
    return [
        str(error) for error in validation.errors if not (reserved_area and error.code == _RESERVED_AREA_RULE)
    ]


def serialise(invoice: fpa.Fattura) -> bytes:
    """UTF-8 XML with the namespace prefixes of the Agenzia delle Entrate's examples."""
    root = invoice.build_etree(lxml=True).getroot()
    document = etree.Element(
        root.tag, attrib=dict(root.attrib), nsmap={"p": fpa.NS, "ds": fpa.NS_SIG, "xsi": _XSI}
    )
    document.extend(list(root))
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True)


@cache
def schema() -> etree.XMLSchema:
    """The FatturaPA 1.2.2 schema; it imports the XML-signature schema from the same folder."""
    path = files("billing") / "data" / "fatturapa" / SCHEMA_FILE
    return etree.XMLSchema(etree.parse(str(path)))


def schema_errors(xml: bytes) -> list[str]:
    """What the official schema finds wrong in ``xml`` (empty when it is valid)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    document = etree.fromstring(xml, parser)
    validator = schema()
    if validator.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in validator.error_log]


def invoice_xml(data: InvoiceData) -> bytes:
    """The invoice's FatturaPA file, valid by a38's rules and by the official schema;
    ``InvoiceFileRefused`` otherwise."""
    invoice = build_invoice(data)
    errors = a38_errors(invoice)
    if errors:
        raise InvoiceFileRefused(errors)
    xml = serialise(invoice)
    errors = schema_errors(xml)
    if errors:
        raise InvoiceFileRefused(errors)
    return xml
