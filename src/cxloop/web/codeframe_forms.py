"""Forms of Settings → Themes: one theme (labels, keywords and exclusions per language, description, parent),
the codeframe as JSON, a discovery run (period and scope) and accepting a suggestion. The forms build the new
codeframe definition; ``core.text.themes.parse_codeframe`` checks it and every problem it names (at its JSON
path) is shown on the field it belongs to, in the user's language (:func:`problem_text`)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cxloop.core.survey_model import Problem
from cxloop.core.text import themes as text_themes
from cxloop.texts import discovery

# --- problems in the user's language ------------------------------------------------------------------------

_V = r"(?P<value>.+)"
_T = r"(?P<type>\w+)"
_N = r"(?P<n>\d+)"
_M = r"(?P<m>\d+)"
_WHAT = {"the key": gettext_lazy("the key"), "a label": gettext_lazy("a label"), "a term": gettext_lazy("a term"),
         "the description": gettext_lazy("the description")}
_WHAT_RE = "(?P<what>the key|a label|a term|the description)"
# Every message core.text.themes.parse_codeframe writes, as a pattern and its translation.
_MESSAGES: list[tuple[re.Pattern[str], Promise]] = [(re.compile(f"^{pattern}$"), text) for pattern, text in [
    (r"unknown key (?P<value>.+) \(allowed: (?P<allowed>.+)\)",
     gettext_lazy("unknown field %(value)s (allowed: %(allowed)s)")),
    (f"{_WHAT_RE} must be text, not {_T}", gettext_lazy("%(what)s must be text")),
    (f"{_WHAT_RE} must not be blank", gettext_lazy("%(what)s must not be blank")),
    (f"{_WHAT_RE} is longer than {_N} characters", gettext_lazy("%(what)s is longer than %(n)s characters")),
    (f"the key {_V} must be lower-case slugs joined by '/', e.g. 'product/export'",
     gettext_lazy("the key %(value)s must be lower-case letters, digits and _ (starting with a letter), "
                  "levels joined by '/', e.g. 'product/export'")),
    (f"the key {_V} is nested deeper than {_N} levels",
     gettext_lazy("the key %(value)s is nested deeper than %(n)s levels")),
    (f"the label must be a mapping of .+, not {_T}",
     gettext_lazy("the label must have zh-hans, zh-hant and en")),
    (r"the label in (?P<lang>[\w-]+) is missing", gettext_lazy("the label in %(lang)s is missing")),
    (f"must be a mapping of term lists by language \\(zh, en\\), not {_T}",
     gettext_lazy("must be term lists by language (zh, en)")),
    (f"must be a list of terms, not {_T}", gettext_lazy("must be a list of terms")),
    (f"has {_N} terms; at most {_M} are allowed", gettext_lazy("has %(n)s terms; at most %(m)s are allowed")),
    (f"the zh term {_V} has no Chinese character \\(put it under 'en'\\)",
     gettext_lazy("the Chinese term %(value)s has no Chinese character (put it under English)")),
    (f"the zh term {_V} has a '\\*': wildcards are for en terms only",
     gettext_lazy("the Chinese term %(value)s has a '*': wildcards are for English terms only")),
    (f"the en term {_V} has Chinese characters \\(put it under 'zh'\\)",
     gettext_lazy("the English term %(value)s has Chinese characters (put it under Chinese)")),
    (f"the en term {_V} may have '\\*' only at its end",
     gettext_lazy("the English term %(value)s may have '*' only at its end")),
    (f"the en term {_V} has no letter or digit", gettext_lazy("the English term %(value)s has no letter or digit")),
    (f"the en term {_V} needs at least {_N} characters before '\\*'",
     gettext_lazy("the English term %(value)s needs at least %(n)s characters before '*'")),
    (f"a codeframe must be a mapping, not {_T}", gettext_lazy("the codeframe must be a JSON object")),
    (f"unsupported version {_V} \\(this is version {_N}\\)",
     gettext_lazy("unsupported version %(value)s (this is version %(n)s)")),
    (f"themes must be a list, not {_T}", gettext_lazy("“themes” must be a list")),
    (f"{_N} themes; at most {_M} are allowed", gettext_lazy("%(n)s themes; at most %(m)s are allowed")),
    (f"a theme must be a mapping, not {_T}", gettext_lazy("a theme must be a JSON object")),
    (f"duplicate key {_V} \\(also (?P<other>themes\\[\\d+\\])\\)",
     gettext_lazy("the key %(value)s is used twice (also %(other)s)")),
    (f"the parent theme {_V} is not defined", gettext_lazy("the parent theme %(value)s is not defined")),
    ("a theme without child themes needs at least one keyword",
     gettext_lazy("a theme without child themes needs at least one keyword")),
]]


def problem_message(message: str) -> str:
    """One of ``parse_codeframe``'s messages in the current language (as written if it is not known)."""
    for pattern, text in _MESSAGES:
        found = pattern.match(message)
        if found:
            params = found.groupdict()
            if "what" in params:
                params["what"] = str(_WHAT[params["what"]])
            return str(text) % params
    return message


def problem_text(problem: Problem) -> str:
    """``themes[3].keywords.zh[1]: …`` in the current language."""
    message = problem_message(problem.message)
    return f"{problem.path}: {message}" if problem.path else message


def service_error_text(message: str) -> str:
    """A ``texts.services.TextError`` message (``path: message; path: message``) in the current language."""
    parts = []
    for part in message.split("; "):
        path, sep, text = part.partition(": ")
        parts.append(f"{path}: {problem_message(text)}" if sep else problem_message(part))
    return "; ".join(parts)


def problems_of(definition: Any) -> list[Problem]:
    try:
        text_themes.parse_codeframe(definition)
    except text_themes.CodeframeError as exc:
        return exc.problems
    return []


# --- terms as text -------------------------------------------------------------------------------------------

_TERM_SPLIT = re.compile(r"[\n\r,，、;；]+")


def terms_text(terms: Iterable[str]) -> str:
    return "\n".join(terms)


def parse_terms(text: str) -> list[str]:
    """Terms typed one per line (or separated by commas, 、 or semicolons); blanks dropped."""
    return [" ".join(t.split()) for t in _TERM_SPLIT.split(text or "") if t.strip()]


# --- the tree --------------------------------------------------------------------------------------------------


PREVIEW = 6  # keywords shown before the row is opened


@dataclass
class Node:
    theme: text_themes.Theme
    label: str
    count: int
    children: list[Node] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return anchor(self.theme.key)

    @property
    def all_labels(self) -> str:
        """The labels in zh-hans, zh-hant and en (each once)."""
        labels = [self.theme.label.get(lang, "") for lang in text_themes.LABEL_LANGUAGES]
        return " · ".join(dict.fromkeys(label for label in labels if label))

    @property
    def preview(self) -> list[str]:
        """The first keywords (Chinese, then English), for the collapsed row."""
        return [*self.theme.keywords.zh, *self.theme.keywords.en][:PREVIEW]

    @property
    def more(self) -> int:
        return max(0, len(self.theme.keywords.zh) + len(self.theme.keywords.en) - PREVIEW)

    @property
    def descendants(self) -> int:
        return sum(1 + child.descendants for child in self.children)


def anchor(key: str) -> str:
    """The HTML id of a theme's row (keys are ``[a-z0-9_/]``)."""
    return "theme-" + key.replace("/", "--")


def tree(codeframe: text_themes.Codeframe, counts: dict[str, int], language: str) -> list[Node]:
    """The themes as a forest, in their defined order, each with its label in ``language`` and its count."""
    nodes = {t.key: Node(t, t.label.get(language) or t.label.get("en") or t.key, counts.get(t.key, 0))
             for t in codeframe.themes}
    roots: list[Node] = []
    for theme in codeframe.themes:
        parent = nodes.get(theme.parent) if theme.parent else None
        (parent.children if parent is not None else roots).append(nodes[theme.key])
    return roots


def parent_choices(codeframe: text_themes.Codeframe, language: str, *, exclude: str | None = None
                   ) -> list[tuple[str, str]]:
    """"Top level" and every theme that may take a child (not ``exclude`` or its descendants)."""
    out = [("", _("Top level"))]
    for theme in codeframe.themes:
        if theme.depth >= text_themes.MAX_DEPTH:
            continue
        if exclude and (theme.key == exclude or theme.key.startswith(exclude + "/")):
            continue
        label = theme.label.get(language) or theme.label.get("en") or theme.key
        out.append((theme.key, f"{'— ' * (theme.depth - 1)}{label} ({theme.key})"))
    return out


# --- one theme --------------------------------------------------------------------------------------------------

_TERMS_WIDGET = {"rows": 6, "spellcheck": "false"}
_EXCLUDE_WIDGET = {"rows": 3, "spellcheck": "false"}
# form field ← the part of a theme's JSON path after "themes[i]."
_FIELD_OF_PATH = {"key": "slug", "label.zh-hans": "label_zh_hans", "label.zh-hant": "label_zh_hant",
                  "label.en": "label_en", "label": "label_zh_hans", "keywords.zh": "keywords_zh",
                  "keywords.en": "keywords_en", "keywords": "keywords_zh", "exclude.zh": "exclude_zh",
                  "exclude.en": "exclude_en", "exclude": "exclude_zh", "description": "description"}


class ThemeForm(forms.Form):
    parent = forms.ChoiceField(label=gettext_lazy("Parent theme"), required=False)
    slug = forms.CharField(
        label=gettext_lazy("Key"), max_length=64, required=False,
        help_text=gettext_lazy("Lower-case letters, digits and _, starting with a letter (e.g. export); "
                               "the full key adds the parent's (product/export)."),
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocapitalize": "off"}))
    label_zh_hans = forms.CharField(label=gettext_lazy("Label (Simplified Chinese)"), required=False,
                                    max_length=200)
    label_zh_hant = forms.CharField(label=gettext_lazy("Label (Traditional Chinese)"), required=False,
                                    max_length=200)
    label_en = forms.CharField(label=gettext_lazy("Label (English)"), required=False, max_length=200)
    keywords_zh = forms.CharField(
        label=gettext_lazy("Chinese keywords and phrases"), required=False, widget=forms.Textarea(_TERMS_WIDGET),
        help_text=gettext_lazy("One per line. Matched inside words; Simplified and Traditional characters match "
                               "each other (add 匯出 beside 导出 where the words differ)."))
    keywords_en = forms.CharField(
        label=gettext_lazy("English keywords and phrases"), required=False, widget=forms.Textarea(_TERMS_WIDGET),
        help_text=gettext_lazy("One per line. Whole words, any case, plurals included; a trailing * matches "
                               "any ending (crash* → crashes, crashed)."))
    exclude_zh = forms.CharField(label=gettext_lazy("Chinese exclusions"), required=False,
                                 widget=forms.Textarea(_EXCLUDE_WIDGET),
                                 help_text=gettext_lazy("A keyword inside one of these does not count."))
    exclude_en = forms.CharField(label=gettext_lazy("English exclusions"), required=False,
                                 widget=forms.Textarea(_EXCLUDE_WIDGET))
    description = forms.CharField(label=gettext_lazy("Description"), required=False,
                                  widget=forms.Textarea({"rows": 2}))

    def __init__(self, *args: Any, codeframe: text_themes.Codeframe, language: str,
                 editing: text_themes.Theme | None = None, **kwargs: Any) -> None:
        if editing is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_of(editing)
        super().__init__(*args, **kwargs)
        self.codeframe = codeframe
        self.editing = editing
        self.fields["parent"].choices = parent_choices(codeframe, language,  # type: ignore[attr-defined]
                                                       exclude=editing.key if editing else None)
        self.index: int | None = None  # of the theme in the built definition

    def build(self, definition: dict[str, Any]) -> dict[str, Any] | None:
        """The codeframe with this theme added or changed (None if the form itself is invalid). Renaming a theme
        (another key or parent) moves its child themes with it."""
        if not self.is_valid():
            return None
        d = self.cleaned_data
        parent, slug = d["parent"] or "", d["slug"].strip()
        key = f"{parent}/{slug}" if parent and slug else slug
        theme: dict[str, Any] = {"key": key, "label": {"zh-hans": d["label_zh_hans"], "zh-hant": d["label_zh_hant"],
                                                       "en": d["label_en"]}}
        keywords = {"zh": parse_terms(d["keywords_zh"]), "en": parse_terms(d["keywords_en"])}
        exclude = {"zh": parse_terms(d["exclude_zh"]), "en": parse_terms(d["exclude_en"])}
        if any(keywords.values()):
            theme["keywords"] = {lang: terms for lang, terms in keywords.items() if terms}
        if any(exclude.values()):
            theme["exclude"] = {lang: terms for lang, terms in exclude.items() if terms}
        if d["description"].strip():
            theme["description"] = d["description"].strip()
        out = copy.deepcopy(definition)
        themes: list[Any] = list(out.get("themes") or [])
        if self.editing is None:
            self.index = discovery.insert_position(themes, parent or None)
            themes.insert(self.index, theme)
            out["themes"] = themes
            return out
        old = self.editing.key
        for i, item in enumerate(themes):
            if not isinstance(item, dict) or not isinstance(item.get("key"), str):
                continue
            if item["key"] == old:
                themes[i] = theme
                self.index = i
            elif item["key"].startswith(old + "/") and key != old:
                themes[i] = {**item, "key": key + item["key"][len(old):]}
        out["themes"] = themes
        return out

    def show_problems(self, problems: Sequence[Problem]) -> None:
        """Each problem on its field (its own theme's), else above the form; with the path and in the user's
        language."""
        own = f"themes[{self.index}]." if self.index is not None else None
        for problem in problems:
            target = None
            if own and problem.path.startswith(own):
                rest = re.sub(r"\[\d+\]$", "", problem.path[len(own):])
                target = _FIELD_OF_PATH.get(rest)
            self.add_error(target, problem_text(problem))


def initial_of(theme: text_themes.Theme) -> dict[str, Any]:
    return {"parent": theme.parent or "", "slug": theme.key.rpartition("/")[2],
            "label_zh_hans": theme.label.get("zh-hans", ""), "label_zh_hant": theme.label.get("zh-hant", ""),
            "label_en": theme.label.get("en", ""), "keywords_zh": terms_text(theme.keywords.zh),
            "keywords_en": terms_text(theme.keywords.en), "exclude_zh": terms_text(theme.exclude.zh),
            "exclude_en": terms_text(theme.exclude.en), "description": theme.description}


def without_theme(definition: dict[str, Any], key: str) -> dict[str, Any]:
    """The codeframe without the theme ``key`` and its child themes."""
    out = copy.deepcopy(definition)
    out["themes"] = [t for t in out.get("themes") or [] if not (
        isinstance(t, dict) and isinstance(t.get("key"), str) and (t["key"] == key or t["key"].startswith(key + "/")))]
    return out


# --- the codeframe as JSON -----------------------------------------------------------------------------------------


def definition_text(definition: dict[str, Any]) -> str:
    return json.dumps(definition, ensure_ascii=False, indent=2)


class JsonForm(forms.Form):
    definition = forms.CharField(
        label=gettext_lazy("Codeframe (JSON)"), strip=False,
        widget=forms.Textarea(attrs={"rows": 28, "class": "code", "spellcheck": "false"}),
        help_text=gettext_lazy("{“version”: 1, “themes”: […]}: each theme has a key, labels in zh-hans, zh-hant "
                               "and en, keywords and exclusions by language (zh, en) and a description."))

    def clean_definition(self) -> dict[str, Any]:
        text = self.cleaned_data["definition"]
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("This is not valid JSON: %(error)s (line %(line)s, column %(col)s)."),
                                        params={"error": exc.msg, "line": exc.lineno, "col": exc.colno},
                                        code="json") from None
        problems = problems_of(value)
        if problems:
            raise forms.ValidationError([problem_text(p) for p in problems[:20]], code="codeframe")
        return value


# --- discovery -------------------------------------------------------------------------------------------------------


def _date_input() -> forms.DateInput:
    """A date picker; the value ISO-formatted whatever the language (the browser shows it its own way)."""
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class DiscoverForm(forms.Form):
    since = forms.DateField(label=gettext_lazy("From"), widget=_date_input())
    until = forms.DateField(label=gettext_lazy("To (inclusive)"), widget=_date_input())
    scope = forms.ChoiceField(
        label=gettext_lazy("Which comments"), widget=forms.RadioSelect, initial="uncaught",
        choices=[("uncaught", gettext_lazy("Comments no theme caught")),
                 ("all", gettext_lazy("All comments (emerging topics)"))])

    @staticmethod
    def defaults(today: date | None = None) -> dict[str, Any]:
        today = today or timezone.localdate()
        return {"since": today - timedelta(days=discovery.DEFAULT_DAYS - 1), "until": today, "scope": "uncaught"}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if isinstance(since, date) and isinstance(until, date):
            if until < since:
                self.add_error("until", _("The end date is before the start date."))
            elif (until - since).days + 1 > discovery.MAX_DAYS:
                self.add_error("since", _("The period may be at most %(days)s days long.")
                               % {"days": discovery.MAX_DAYS})
        return data


class AcceptForm(forms.Form):
    parent = forms.ChoiceField(label=gettext_lazy("Add under"), required=False)
    label_terms = forms.CharField(required=False)  # one per line, as the suggestion gave them
    keywords = forms.MultipleChoiceField(label=gettext_lazy("Keywords"), required=False)

    def __init__(self, *args: Any, codeframe: text_themes.Codeframe, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = parent_choices(codeframe, language)  # type: ignore[attr-defined]
        if self.is_bound:  # any keyword the suggestion offered; parse_codeframe checks each term
            getlist = getattr(self.data, "getlist", None)
            raw = getlist("keywords") if getlist is not None else self.data.get("keywords") or []
            offered = [str(k) for k in raw][:text_themes.MAX_TERMS]
            self.fields["keywords"].choices = [(k, k) for k in offered]  # type: ignore[attr-defined]

    def clean_label_terms(self) -> list[str]:
        terms = parse_terms(self.cleaned_data["label_terms"])
        if not terms:
            raise forms.ValidationError(_("The suggestion has no label terms."), code="required")
        return terms[:10]

    def clean_keywords(self) -> list[str]:
        terms = [" ".join(str(k).split()) for k in self.cleaned_data["keywords"] if str(k).strip()]
        if not terms:
            raise forms.ValidationError(_("Choose at least one keyword."), code="required")
        return terms


class DismissForm(forms.Form):
    signature = forms.CharField(max_length=500)
    query = forms.CharField(max_length=500, required=False)
