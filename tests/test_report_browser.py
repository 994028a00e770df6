"""The report in a real browser: Debian's headless Chromium, no Python dependency.

The test copies the report, adds a Content-Security-Policy that allows only inline
styles, inline scripts and data: images (so any network load is blocked and reported),
and a small inline script that, once the page has loaded, writes what it found into
``<pre id="check">``: images that failed to decode, script errors, console errors,
blocked loads. ``chromium --dump-dom`` prints the DOM after load, marker included.

Chromium is required: without it these tests FAIL (CI installs it with
``apt-get install -y chromium``); they are never skipped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import commbench
from commbench.report import render_html

pytestmark = pytest.mark.browser

RUN_A = Path(__file__).parent / "data" / "run_a.json"
SCREENSHOT = Path(commbench.__file__).resolve().parents[1] / "reports" / "screenshot.png"
FLAGS = (
    "--headless",
    "--no-sandbox",  # runs as root in containers and CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)

CSP = (
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
    "img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">"
)
HOOKS = """<script>
window.__problems = [];
addEventListener("error", e => __problems.push("error: " + e.message));
addEventListener("securitypolicyviolation", e => __problems.push("blocked: " + e.blockedURI));
const consoleError = console.error;
console.error = (...args) => {
  __problems.push("console: " + args.join(" "));
  consoleError(...args);
};
</script>"""
CHECK = """<script>
addEventListener("load", () => {
  const images = [...document.images];
  const out = document.createElement("pre");
  out.id = "check";
  out.textContent = JSON.stringify({
    images: images.length,
    broken: images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt),
    problems: __problems,
    resources: performance.getEntriesByType("resource").map(r => r.name),
    sections: [...document.querySelectorAll("h2")].map(h => h.textContent),
  });
  document.body.appendChild(out);
});
</script>"""


def chromium() -> str:
    """The browser's path; fails (never skips) with the install command when absent."""
    path = os.environ.get("COMMBENCH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail(
            f"Chromium not found ({path}): install it with `apt-get install -y chromium` "
            "(or set COMMBENCH_CHROMIUM); the browser tests must run, not skip",
            pytrace=False,
        )
    return path


def run_chromium(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [chromium(), *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def instrumented(html: str) -> str:
    """The page plus the CSP, the error hooks (first in <head>) and the load check."""
    head = '<meta charset="utf-8">'
    assert head in html
    return html.replace(head, head + CSP + HOOKS, 1).replace("</body>", CHECK + "</body>", 1)


def check(page: Path, tmp_path: Path) -> tuple[dict, str]:
    """Load *page* in Chromium; the marker's findings and Chromium's stderr."""
    done = run_chromium(
        page,
        tmp_path / "profile",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=5000",
        "--dump-dom",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r'<pre id="check">(.*?)</pre>', done.stdout, re.S)
    assert found, f"the check script did not run; stderr:\n{done.stderr[-2000:]}"
    text = found.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")
    return json.loads(text.replace("&amp;", "&")), done.stderr


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_html([RUN_A], tmp_path_factory.mktemp("browser") / "report.html")


def test_the_report_loads_cleanly_in_chromium(report: Path, tmp_path: Path) -> None:
    page = tmp_path / "checked.html"
    page.write_text(instrumented(report.read_text(encoding="utf-8")), encoding="utf-8")
    found, stderr = check(page, tmp_path)
    assert found["images"] == 3 and found["broken"] == []
    assert found["problems"] == [] and found["resources"] == []
    assert found["sections"] == [
        "The lecture, checked",
        "Machines and runs",
        "Contents",
        "Marshalling",
    ]
    assert "Uncaught" not in stderr


def test_a_report_of_several_machines_loads_cleanly(tmp_path: Path) -> None:
    data = RUN_A.parent
    files = [RUN_A, data / "run_b.json", data / "transports_small.json"]
    out = render_html(files, tmp_path / "several.html", compare=True, parallel=True)
    page = tmp_path / "checked.html"
    page.write_text(instrumented(out.read_text(encoding="utf-8")), encoding="utf-8")
    found, stderr = check(page, tmp_path)
    # marshalling: round trip of every run + sizes; latency and throughput: every run
    assert found["images"] == 4 and found["broken"] == []
    assert found["problems"] == [] and found["resources"] == []
    assert found["sections"][:4] == [
        "The lecture, checked",
        "Machines and runs",
        "Contents",
        "Comparison",
    ]
    assert "Uncaught" not in stderr


def test_the_check_itself_catches_broken_pages(report: Path, tmp_path: Path) -> None:
    """A network image and a script error must be reported, or a pass means nothing."""
    html = instrumented(report.read_text(encoding="utf-8")).replace(
        "</main>", '<img src="https://example.invalid/x.png" alt="x"><script>nope()</script></main>'
    )
    page = tmp_path / "broken.html"
    page.write_text(html, encoding="utf-8")
    found, stderr = check(page, tmp_path)
    assert found["broken"] == ["x"]
    assert any(p.startswith("blocked: https://example.invalid") for p in found["problems"])
    assert any("nope is not defined" in p for p in found["problems"])
    assert "Uncaught ReferenceError" in stderr


def test_a_screenshot_for_the_readme(report: Path, tmp_path: Path) -> None:
    chromium()  # before touching the previous screenshot
    SCREENSHOT.parent.mkdir(exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    done = run_chromium(
        report, tmp_path / "profile", f"--screenshot={SCREENSHOT}", "--window-size=1280,2000"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    data = SCREENSHOT.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 50_000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 2000)
