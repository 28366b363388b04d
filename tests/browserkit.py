"""What the browser tests share: the four ways a page is looked at (zh-Hans and English, on a desktop and on a
phone; zh-Hant and other screen sizes for a few tests), a page opened in one of them with its console and errors
collected, signing in (also with the keyboard only), a loop over variants signed in, screenshots, and the check
that a page does not scroll sideways. Chromium itself is the session fixture ``browser`` (conftest)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tests.conftest import PASSWORD

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
DOCS_IMG = Path(__file__).resolve().parent.parent / "docs" / "img"


@dataclass(frozen=True)
class Variant:
    locale: str  # the browser's locale (its Accept-Language)
    lang: str  # the <html lang> the page must then have
    kind: str  # "desktop" | "phone"
    size: tuple[int, int] | None = None  # (width, height) when not the kind's usual 1280×900 or 390×844

    @property
    def phone(self) -> bool:
        return self.kind == "phone"

    @property
    def viewport(self) -> dict[str, int]:
        if self.size is not None:
            return {"width": self.size[0], "height": self.size[1]}
        return dict(PHONE if self.phone else DESKTOP)

    @property
    def name(self) -> str:
        """``zh-hans-phone``: the suffix of screenshot names."""
        return f"{self.lang}-{self.kind}"


ZH_DESKTOP = Variant("zh-CN", "zh-hans", "desktop")
EN_DESKTOP = Variant("en-US", "en", "desktop")
ZH_PHONE = Variant("zh-CN", "zh-hans", "phone")
EN_PHONE = Variant("en-US", "en", "phone")
VARIANTS = (ZH_DESKTOP, EN_DESKTOP, ZH_PHONE, EN_PHONE)
BY_LANGUAGE = (ZH_DESKTOP, ZH_PHONE, EN_DESKTOP, EN_PHONE)  # the same four, one language after the other
# zh-Hant (Taiwan's browsers): not among VARIANTS, looked at by a few tests only.
ZH_HANT_DESKTOP = Variant("zh-TW", "zh-hant", "desktop")
ZH_HANT_PHONE = Variant("zh-TW", "zh-hant", "phone")


def sized(variant: Variant, width: int, height: int) -> Variant:
    """The variant on a screen of another size (``sized(EN_PHONE, 360, 780)``): its name stays the same."""
    return replace(variant, size=(width, height))


def new_context(browser: Any, variant: Variant, **options: Any) -> Any:
    """A browser context as the variant's device and language (``options`` go to Playwright, e.g.
    ``accept_downloads=True``, and win over the variant's: ``device_scale_factor=1`` on a phone)."""
    phone = variant.phone
    settings: dict[str, Any] = {"locale": variant.locale, "viewport": variant.viewport, "is_mobile": phone,
                                "has_touch": phone, "device_scale_factor": 2 if phone else 1}
    return browser.new_context(**{**settings, **options})


def default_console(message: Any) -> str | None:
    """Console errors and warnings count as problems."""
    return message.text if message.type in ("error", "warning") else None


@contextmanager
def opened(browser: Any, variant: Variant, *, init_script: str = "",
           console: Callable[[Any], str | None] = default_console, **options: Any
           ) -> Iterator[tuple[Any, list[str]]]:
    """``(page, problems)`` in a fresh context of the variant: ``problems`` collects what ``console`` keeps of
    each console message, page errors and dialogs (dismissed). The context is closed afterwards."""
    context = new_context(browser, variant, **options)
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    problems: list[str] = []

    def on_console(message: Any) -> None:
        kept = console(message)
        if kept is not None:
            problems.append(kept)

    page.on("console", on_console)
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    try:
        yield page, problems
    finally:
        context.close()


def tab_to(page: Any, selector: str, most: int = 250) -> None:
    """Press Tab until the element matching ``selector`` has the focus (keyboard only: no clicks)."""
    for _ in range(most):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def type_into(page: Any, selector: str, text: str) -> None:
    """``tab_to`` the field, then type ``text``."""
    tab_to(page, selector)
    page.keyboard.type(text)


def sign_in(page: Any, base: str, email: str, password: str = PASSWORD, *, keyboard: bool = False) -> None:
    """The login form filled and sent; with ``keyboard``, by Tab, typing and Enter only."""
    page.goto(f"{base}/accounts/login/")
    if keyboard:
        type_into(page, "#id_username", email)
        type_into(page, "#id_password", password)
        page.keyboard.press("Enter")
    else:
        page.fill("#id_username", email)
        page.fill("#id_password", password)
        page.click("button[type=submit].btn-primary")
    page.wait_for_selector("nav.mainnav")


def signed_in(browser: Any, variants: Iterable[Variant], base: str, email: str, password: str = PASSWORD,
              **options: Any) -> Iterator[tuple[Variant, Any, list[str]]]:
    """For each variant in turn, ``(variant, page, problems)``: the page of a fresh context (``opened``, with
    ``options``) signed in as ``email``; the context is closed when the loop moves on."""
    for variant in variants:
        with opened(browser, variant, **options) as (page, problems):
            sign_in(page, base, email, password)
            yield variant, page, problems


def shot(page: Any, folder: Path, name: str, *, full_page: bool = True, docs: bool = False) -> Path:
    """A screenshot ``folder/name.png`` (not blank: > 10 kB); with ``docs`` and ``CXLOOP_UPDATE_SCREENSHOTS`` set,
    copied to ``docs/img`` too."""
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 10_000, f"{name}: the screenshot looks blank"
    if docs and os.environ.get("CXLOOP_UPDATE_SCREENSHOTS"):
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS_IMG / path.name)
    return path


def assert_fits(page: Any, variant: Variant, what: str) -> None:
    """The page does not scroll sideways in the variant's viewport."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= variant.viewport["width"] + 1, f"{what} ({variant.name}): the page scrolls sideways ({width}px)"


def fitted_shot(page: Any, variant: Variant, folder: Path, prefix: str, what: str, *, docs: bool = False) -> Path:
    """On a phone, ``assert_fits`` first; then the screenshot ``{prefix}-{variant.name}`` (``shot``)."""
    if variant.phone:
        assert_fits(page, variant, what)
    return shot(page, folder, f"{prefix}-{variant.name}", docs=docs)
