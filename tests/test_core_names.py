"""core.names: the multilingual name cleaner shared by journeys, stages, funnels and governance."""

from __future__ import annotations

import pytest

from cxloop.core.names import BadName, clean_names


def test_plain_text_is_every_languages_and_blank_languages_are_dropped() -> None:
    assert clean_names("  Onboarding ") == {"zh-hans": "Onboarding", "zh-hant": "Onboarding", "en": "Onboarding"}
    assert clean_names({"zh-hans": "新手引导", "en": "  "}) == {"zh-hans": "新手引导"}


@pytest.mark.parametrize(("raw", "field", "words"), [
    (None, "title", "give the name as text"),
    ({"fr": "Bonjour"}, "title.fr", "use zh-hans, zh-hant, en"),
    ({"en": 3}, "title.en", "must be text"),
    ({"en": "x" * 11}, "title.en", "at most 10 characters"),
    ({"en": " ", "zh-hans": ""}, "title", "at least one language"),
])
def test_problems_name_the_field(raw: object, field: str, words: str) -> None:
    with pytest.raises(BadName) as caught:
        clean_names(raw, "title", max_length=10)
    assert caught.value.field == field and words in str(caught.value) and str(caught.value).startswith(field)
