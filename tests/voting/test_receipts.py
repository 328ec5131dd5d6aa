"""Receipt codes: a new one drawn at random from every code alike; a paper form's derived from the site's key as it
was printed (a code on a form in a drawer must still match its ballot)."""

from __future__ import annotations

import hashlib
import hmac
import re

from deliberation.voting.receipts import RECEIPT_ALPHABET, new_receipt, paper_receipt, receipt_hash

CODE = re.compile(f"[{RECEIPT_ALPHABET}]{{5}}-[{RECEIPT_ALPHABET}]{{5}}")


def test_a_new_receipt_is_a_code_of_the_alphabet_with_the_hash_its_ballot_keeps():
    code, digest = new_receipt(42)
    assert CODE.fullmatch(code), code
    assert digest == receipt_hash(42, code) == receipt_hash(42, code.lower().replace("-", " "))
    assert digest != receipt_hash(43, code)


def test_every_character_comes_up_in_every_place():
    """One draw per code (secrets.randbelow over all codes): 5,000 codes show each of the 31 characters in each
    of the ten places (a character missing from one place in 5,000 fair draws: about 10⁻⁶⁹)."""
    codes = [new_receipt(1)[0].replace("-", "") for _n in range(5000)]
    for place in range(10):
        assert {code[place] for code in codes} == set(RECEIPT_ALPHABET), place
    assert len(set(codes)) == len(codes)


def test_a_paper_receipt_is_the_code_printed_on_the_form(app):
    """The digits, in the receipt alphabet from the lowest, of the first ten bytes of the HMAC of the vote, unit and
    voter key under the site's secret key, as the forms in the drawers were printed."""
    key = f"paper-receipt:{app.config['SECRET_KEY']}".encode()
    number = int.from_bytes(hmac.new(key, b"7:12:o:345", hashlib.sha256).digest()[:10], "big")
    digits = []
    for _place in range(10):
        number, index = divmod(number, len(RECEIPT_ALPHABET))
        digits.append(RECEIPT_ALPHABET[index])
    printed = "".join(digits[:5]) + "-" + "".join(digits[5:])
    assert paper_receipt(7, 12, "o:345") == (printed, receipt_hash(7, printed))
