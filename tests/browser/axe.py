"""Accessibility and looks of every page a browser test visits: axe-core at a desktop's and a phone's width,
a full-page screenshot of each, and no sideways scrolling on the phone.

axe-core is pinned in tests/browser/package-lock.json and installed by `npm ci --prefix tests/browser`, which
.ci/run does before the suite. The test run itself never installs it: a test run reaches no network (an
offline run is not held up by npm's retries, and what is checked is exactly what the lock file pins), so
without it the checks skip with the command to run, and fail where REQUIRE_BROWSER is set, as CI sets it.
"""

import base64
import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

AXE_JS = Path(__file__).with_name("node_modules") / "axe-core" / "axe.min.js"
AXE_MISSING = "axe-core is not installed: run `npm ci --prefix tests/browser` (needs Node.js and npm)"

# Git-ignored; BROWSER_SCREENSHOTS puts them elsewhere (a CI job's artifacts, say).
SCREENSHOTS = Path(os.environ.get("BROWSER_SCREENSHOTS") or Path(__file__).with_name("screenshots"))


@dataclass(frozen=True)
class Width:
    name: str
    width: int
    height: int
    mobile: bool


DESKTOP = Width("desktop", 1366, 900, mobile=False)
# A common phone's CSS pixels, emulated as a phone: the page's viewport meta tag applies, as on a real one.
PHONE = Width("phone", 390, 844, mobile=True)


@functools.cache
def _axe_source() -> str | None:
    return AXE_JS.read_text(encoding="utf-8") if AXE_JS.exists() else None


def require_axe() -> str:
    """axe-core's script, or the test skips (fails under REQUIRE_BROWSER) saying how to install it."""
    source = _axe_source()
    if source is None:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(AXE_MISSING)
        pytest.skip(AXE_MISSING)
    return source


def axe_violations(browser) -> list[dict]:
    """axe-core's violations on the page the browser shows, with every rule it runs by default."""
    # Run through the driver, outside the page: the site's Content-Security-Policy allows no injected script.
    if not browser.execute_script("return typeof window.axe !== 'undefined';"):
        browser.execute_script(require_axe())
    return browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document).then(
            (results) => done(results.violations.map((v) => ({
                rule: v.id, impact: v.impact, count: v.nodes.length,
                target: v.nodes[0].target.join(" "), html: v.nodes[0].html.slice(0, 160), help: v.help,
                summary: (v.nodes[0].failureSummary || "").split("\\n").slice(1, 2).join("").trim(),
            }))),
            (error) => done([{rule: "axe-error", impact: "critical", count: 1, target: "", html: "",
                              help: String(error), summary: ""}]),
        );
        """
    )


def describe(violations: list[dict]) -> str:
    return "\n".join(
        f"  {v['rule']} [{v['impact']}] x{v['count']}: {v['help']} (first: {v['target']} {v['html']})"
        + (f"\n    {v['summary']}" if v["summary"] else "")
        for v in violations
    )


def set_width(browser, width: Width) -> None:
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width.width, "height": width.height, "deviceScaleFactor": 1, "mobile": width.mobile},
    )


def reset_width(browser) -> None:
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def sideways_overflow(browser, width: Width) -> str:
    """How far the page scrolls sideways and the elements that stick out, or "" when it fits."""
    return browser.execute_script(
        """
        const width = arguments[0], scrolled = document.documentElement.scrollWidth;
        if (scrolled <= width) return "";
        const out = [...document.body.querySelectorAll("*")]
            .filter((e) => e.getBoundingClientRect().right > width + 1)
            .filter((e) => !e.parentElement || e.parentElement.getBoundingClientRect().right <= width + 1)
            .slice(0, 5)
            .map((e) => {
                const classes = typeof e.className === "string" ? e.className.trim().split(/\\s+/) : [];
                return e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + classes.map((c) => "." + c).join("")
                    + " (" + Math.round(e.getBoundingClientRect().right) + "px)";
            });
        return scrolled + "px wide at " + width + "px: " + out.join(", ");
        """,
        width.width,
    )


def screenshot(browser, name: str, width: Width) -> Path:
    """The whole page, not only the window, as SCREENSHOTS/<name>-<width>.png."""
    height = browser.execute_script("return document.documentElement.scrollHeight;")
    shot = browser.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width.width, "height": min(height, 16000), "scale": 1},
        },
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_-]+', '-', name).strip('-')}-{width.width}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def problems_at_both_widths(
    browser,
    name: str,
    *,
    url: str | None = None,
    stay_at: Width = DESKTOP,
    widths: tuple[Width, ...] = (DESKTOP, PHONE),
) -> list[str]:
    """The page the browser shows (loaded again at each width when `url` is given), checked with axe-core and
    photographed at both widths, then left at `stay_at`: what is wrong with it, at both widths.

    `widths=(PHONE,)` checks a state that only a phone has (a panel opened by a tap, which a wider window
    would lay out again)."""
    require_axe()
    problems = []
    for width in sorted(widths, key=lambda w: w == stay_at):
        set_width(browser, width)
        if url:
            browser.get(url)
        violations = axe_violations(browser)
        if violations:
            where = f"{browser.current_url} at {width.width}px"
            problems.append(f"{where}, {len(violations)} axe violation(s):\n{describe(violations)}")
        if width == PHONE and (overflow := sideways_overflow(browser, width)):
            problems.append(f"{browser.current_url} scrolls sideways on a phone: {overflow}")
        screenshot(browser, name, width)
    return problems


def check_page(browser, name: str, *, url: str | None = None, stay_at: Width = DESKTOP) -> None:
    """Fails the test with every problem problems_at_both_widths finds."""
    if problems := problems_at_both_widths(browser, name, url=url, stay_at=stay_at):
        pytest.fail("\n".join(problems), pytrace=False)


def visit(browser, url: str, name: str, *, stay_at: Width = DESKTOP) -> None:
    """Loads `url` at a desktop's and at a phone's width and checks it at each (see check_page)."""
    check_page(browser, name, url=url, stay_at=stay_at)


class Axe:
    """The `axe` fixture: visits and checks pages in the session's browser, and keeps what it finds until the
    test ends, so that a test goes on along its path and one run lists the problems of every page on it."""

    def __init__(self, browser):
        self.browser = browser
        self.problems: list[str] = []

    def visit(self, url: str, name: str, *, stay_at: Width = DESKTOP) -> None:
        self.problems += problems_at_both_widths(self.browser, name, url=url, stay_at=stay_at)

    def check(self, name: str, *, stay_at: Width = DESKTOP, widths: tuple[Width, ...] = (DESKTOP, PHONE)) -> None:
        """The page the browser shows now, as it is (after a form was sent, say): not loaded again."""
        self.problems += problems_at_both_widths(self.browser, name, stay_at=stay_at, widths=widths)
