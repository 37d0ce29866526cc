"""Readable contrast and a 1280x800 window, measured in the real pages (WCAG 2.1 AA).

Every visible piece of text is checked against the background it is really drawn on
(the first opaque background up its ancestors, with translucent ones blended in): at
least 4.5:1, or 3:1 for large text (24 px, or 18.66 px bold). Disabled controls are
exempt, as WCAG allows. And nothing is wider than the window: no sideways scrolling.
"""
from __future__ import annotations

import pytest

from .conftest import sign_in

pytestmark = pytest.mark.browser

#: the contrast of every visible text node against its real background; the failures
LOW_CONTRAST = r"""() => {
  const parse = (c) => {
    const m = c && c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const blend = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a), a: 1 });
  const luminance = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let out = { r: 255, g: 255, b: 255, a: 1 };
    for (let i = layers.length - 1; i >= 0; i--) out = blend(layers[i], out);
    return out;
  };
  const bad = [];
  let checked = 0;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!el || !node.textContent.trim()) continue;
    if (el.closest("[hidden], template, script, style, option, :disabled, [aria-disabled=true]")) continue;
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!box.width || !box.height || style.visibility === "hidden" || style.display === "none") continue;
    checked += 1;
    const bg = background(el);
    const fg = blend(parse(style.color), bg);
    const [hi, lo] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (parseInt(style.fontWeight, 10) >= 700 && size >= 18.66);
    const need = large ? 3 : 4.5;
    if (ratio < need - 0.005) {
      bad.push(`${Math.round(ratio * 100) / 100}:1 < ${need}:1 for ${JSON.stringify(node.textContent.trim().slice(0, 40))}`
               + ` (${style.color} on rgb(${Math.round(bg.r)}, ${Math.round(bg.g)}, ${Math.round(bg.b)}), ${el.tagName.toLowerCase()}.${el.className})`);
    }
  }
  return { checked, bad };
}"""

WIDER_THAN_WINDOW = """() => ({ page: document.documentElement.scrollWidth, window: window.innerWidth })"""


def check_page(page, what: str) -> None:
    result = page.evaluate(LOW_CONTRAST)
    assert result["checked"] >= 5, f"{what}: hardly any text was checked ({result['checked']})"
    assert result["bad"] == [], f"{what}: text below the WCAG AA contrast:\n" + "\n".join(result["bad"])
    widths = page.evaluate(WIDER_THAN_WINDOW)
    assert widths["page"] <= widths["window"], f"{what}: the page is wider than the 1280 px window: {widths}"


def test_the_pages_are_readable_and_fit_a_1280x800_window(new_page, demo):
    from playwright.sync_api import expect

    page = new_page()
    page.goto("/login")
    check_page(page, "sign-in page")

    sign_in(page, "alice")
    expect(page.locator("#connection")).to_have_text("Live")
    check_page(page, "desktop, logged out")
    page.select_option("#state-select", "available")
    page.click("#state-apply")
    call = page.locator("#interaction-calls .call").first
    expect(call.locator(".call-state")).to_have_text("Connected")
    check_page(page, "desktop, on a call")
    # every call control is on screen, not cut off at the window's edge
    for button in call.locator(".call-actions button:visible, .recording button:visible").all():
        box = button.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 1280, button.text_content()

    # the measure does see a pale text (so a pass above means something)
    page.evaluate("document.querySelector('#state-badge').style.color = '#b0b0b0'")
    assert any("rgb(176, 176, 176) on" in line for line in page.evaluate(LOW_CONTRAST)["bad"])

    supervisor = new_page()
    sign_in(supervisor, "sam")
    supervisor.goto("/supervisor")
    expect(supervisor.locator("#connection")).to_have_text("Live")
    check_page(supervisor, "supervisor page")
    supervisor.goto("/recordings")
    check_page(supervisor, "recordings page")
