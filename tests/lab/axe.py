"""axe-core in a Playwright page: run the WCAG 2.2 AA rules and fail on any violation.

axe-core comes from the npm registry, pinned in tests/browser/package-lock.json and installed
by `scripts/setup --test` (`npm ci`). The portal's CSP allows no scripts at all, so axe is not
added as a <script> tag: Playwright evaluates its source through the DevTools protocol, which
the page's CSP does not govern, and the page under test stays exactly as served.

The sandboxed frame with a message's HTML body is the sender's content, not a page of ours:
axe checks the <iframe> element itself (its title) but does not look inside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

BROWSER_TESTS = Path(__file__).resolve().parents[1] / "browser"
AXE_SOURCE = BROWSER_TESTS / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")

_RUN = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: { type: "tag", values: tags },
    iframes: false,
    resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.map((n) => n.target.join(" ")),
    summaries: v.nodes.map((n) => n.failureSummary || ""),
  }));
}"""


def axe_source() -> str:
    """axe.min.js as npm installed it; a clear failure when `npm ci` has not run."""
    assert AXE_SOURCE.is_file(), (
        f"axe-core is not installed at {AXE_SOURCE}: run scripts/setup --test "
        "(or `npm ci` in tests/browser)"
    )
    return AXE_SOURCE.read_text(encoding="utf-8")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """The WCAG A/AA (2.0, 2.1, 2.2) violations axe finds on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source() + "\n;0")
    return list(page.evaluate(_RUN, list(WCAG_TAGS)))


def note_axe_violations(page: Any, found: list[str]) -> None:
    """Run axe on the page as it is now; its violations, if any, become one entry of `found`
    (so that one run of a test reports every page's)."""
    if violations := axe_violations(page):
        found.append(f"{page.url}:\n{describe(violations)}")


def describe(violations: list[dict[str, Any]]) -> str:
    """One line per violation and node: id, impact, target, help (and axe's summary)."""
    lines = []
    for violation in violations:
        for target, summary in zip(violation["targets"], violation["summaries"], strict=True):
            lines.append(
                f"  {violation['id']} ({violation['impact']}) at {target}: {violation['help']}"
                + (f" [{' '.join(summary.split())}]" if summary else "")
            )
    return "\n".join(lines)


def assert_accessible(page: Any, what: str = "") -> None:
    """Fail with every violation's id, impact, target and help when axe finds any."""
    violations = axe_violations(page)
    assert not violations, f"axe: WCAG violations on {what or page.url}:\n{describe(violations)}"
