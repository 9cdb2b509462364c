"""The sandbox's test cards: a well-formed card number pays, except the one that is declined."""

from __future__ import annotations

from enum import StrEnum

TEST_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"


class CardCheck(StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    INVALID = "invalid"


def normalise(number: str) -> str:
    return "".join(number.split()).replace("-", "")


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def check_card(number: str) -> CardCheck:
    digits = normalise(number)
    if not (digits.isascii() and digits.isdigit()) or not 13 <= len(digits) <= 19 or not luhn_valid(digits):
        return CardCheck.INVALID
    if digits == normalise(DECLINED_CARD):
        return CardCheck.DECLINED
    return CardCheck.ACCEPTED
