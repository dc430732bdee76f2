"""Known vulnerabilities in what Steuntje is built from (`make audit-deps`, SECURITY.md).

* Python: every pin in requirements/constraints.txt, through pip-audit (the Makefile
  installs a pinned pip-audit into a scratch venv and runs this script with it).
* JavaScript: every package clients/web/vendor/MANIFEST.json says a vendored script was
  built from, through `npm audit` on a package.json made for the purpose in a temporary
  folder (npm resolves their dependencies, which the bundles contain). The twemoji SVGs
  are pictures, not code, and are left out.

Needs the network (PyPI and the npm registry), so it is not part of `make test`.
Exit status: 0 nothing known, 1 advisories found, 2 a check could not run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / "requirements" / "constraints.txt"
MANIFEST = ROOT / "clients" / "web" / "vendor" / "MANIFEST.json"
NOT_CODE = (".svg", ".png", ".woff2")
CLEAN, FOUND, FAILED = 0, 1, 2


def audit_python() -> int:
    print(f"== Python: {CONSTRAINTS.relative_to(ROOT)} (pip-audit)", flush=True)
    # Every line is an exact pin, so pip-audit needs neither pip nor a resolver.
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--requirement",
        str(CONSTRAINTS),
        "--no-deps",
        "--disable-pip",
        "--progress-spinner",
        "off",
        "--format",
        "json",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit gave no report: {result.stderr.strip()[-500:]}", file=sys.stderr)
        return FAILED
    status = CLEAN
    for dependency in report.get("dependencies", []):
        package = f"{dependency['name']} {dependency.get('version', '')}".strip()
        if "skip_reason" in dependency:
            # Not looked up is not clean: say so, and fail the audit.
            print(f"   NOT CHECKED {package}: {dependency['skip_reason']}")
            status = max(status, FAILED)
        for vulnerability in dependency.get("vulns", []):
            fixed = ", ".join(vulnerability.get("fix_versions", [])) or "no fix yet"
            print(f"   {vulnerability['id']} {package} (fixed in: {fixed})")
            status = max(status, FOUND)
    if status == CLEAN:
        print(f"No known vulnerabilities in {len(report.get('dependencies', []))} packages")
    return status


def vendored_packages() -> dict[str, str]:
    """npm package name -> version, for every vendored file that is code."""
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    packages: dict[str, str] = {}
    for name, entry in sorted(manifest["files"].items()):
        if name.endswith(NOT_CODE):
            continue
        for package in entry.get("packages", []):
            packages[package["name"]] = package["version"]
    return packages


def audit_javascript() -> int:
    packages = vendored_packages()
    print(f"== JavaScript: {MANIFEST.relative_to(ROOT)} (npm audit)", flush=True)
    for name, version in packages.items():
        print(f"   {name}@{version}")
    npm = shutil.which("npm")
    if npm is None:
        print("npm is not installed: cannot check the vendored JavaScript", file=sys.stderr)
        return FAILED
    with tempfile.TemporaryDirectory(prefix="steuntje-vendor-audit-") as folder:
        package_json = {"name": "steuntje-vendor-audit", "private": True}
        package_json["dependencies"] = packages
        (Path(folder) / "package.json").write_text(json.dumps(package_json, indent=2))
        lock = subprocess.run(  # noqa: S603 (fixed arguments)
            [npm, "install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=folder,
            check=False,
        )
        if lock.returncode != 0:
            print("npm could not resolve the vendored packages", file=sys.stderr)
            return FAILED
        audit = subprocess.run(  # noqa: S603 (fixed arguments)
            [npm, "audit", "--json"], cwd=folder, capture_output=True, text=True, check=False
        )
    try:
        report = json.loads(audit.stdout)
    except json.JSONDecodeError:
        print(f"npm audit gave no report: {audit.stderr.strip()[:500]}", file=sys.stderr)
        return FAILED
    if "error" in report:
        print(f"npm audit failed: {report['error']}", file=sys.stderr)
        return FAILED
    findings = report.get("vulnerabilities", {})
    for name, finding in sorted(findings.items()):
        where = "vendored" if finding.get("isDirect") else "bundled dependency"
        titles = [v["title"] for v in finding.get("via", []) if isinstance(v, dict)]
        print(f"   {finding.get('severity', '?'):8} {name} ({where}): {'; '.join(titles)}")
    if not findings:
        print("No known vulnerabilities found")
    return FOUND if findings else CLEAN


def main() -> int:
    return max(audit_python(), audit_javascript())


if __name__ == "__main__":
    sys.exit(main())
