"""The one vocabulary of who a person is: age bands at their edges, tenure titles, natural building order."""

import pytest
from flask_babel import force_locale

from deliberation.accounts import demographics
from deliberation.accounts.models import Tenure


@pytest.mark.parametrize(("birth_year", "code"), [
    (2009, "<18"), (2008, "18-34"),   # 17 / 18 in 2026
    (1992, "18-34"), (1991, "35-59"),  # 34 / 35
    (1967, "35-59"), (1966, "60+"),   # 59 / 60
    (None, ""),
])
def test_age_band_at_the_edges(birth_year, code):
    assert demographics.age_band(birth_year, 2026) == code


def test_labels_in_chinese_and_english(app):
    with app.test_request_context():
        assert [demographics.age_band_label(c) for c in demographics.AGE_BAND_ORDER] == [
            "未满18岁", "18–34岁", "35岁以下", "35–59岁", "60岁以上", "未登记"]
        assert Tenure.OWNER.title == "业主" and demographics.tenure_label("tenant") == "租户"
        with force_locale("en"):
            assert demographics.age_band_label("<18") == "Under 18"
            assert demographics.age_band_label("18-34") == "18–34"
            assert Tenure.FAMILY.title == "Family member" and demographics.tenure_label("owner") == "Owner"
            assert demographics.group_label("tenure") == "Tenure"


def test_buildings_and_rooms_in_natural_order():
    assert demographics.ordered("building", ["10号楼", "", "2号楼", "1号楼"]) == ["1号楼", "2号楼", "10号楼", ""]
    assert sorted(["1001", "102", "21"], key=demographics.natural_key) == ["21", "102", "1001"]
    assert demographics.ordered("age", ["60+", "", "<18", "35-59"]) == ["<18", "35-59", "60+", ""]
    assert demographics.ordered("tenure", ["", "family", "owner"]) == ["owner", "family", ""]
