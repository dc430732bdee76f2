#!/usr/bin/env python3
"""Rebuild or verify the web app's vendored third-party files.

    python clients/web/vendor/refresh.py           # fetch pinned packages from npm, rebuild
    python clients/web/vendor/refresh.py --check   # offline: committed files match MANIFEST.json

Why vendored and bundled: the web app runs without a build step and without a CDN (the
relay serves everything itself, CSP ``script-src 'self'``), and caregivers' phones are slow,
so each library is one minified ES module file. The only tools are npm and esbuild, both
fetched into a temporary folder at the exact versions below; nothing is installed in the
repository. The outputs are deterministic for the pinned versions, so a rebuild that changes
a hash means an upstream file changed and deserves a review.

To upgrade: change a version in PACKAGES, run the script, review the diff of MANIFEST.json
and the files, run the web tests.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parent
MANIFEST = VENDOR / "MANIFEST.json"
LICENSES = VENDOR / "licenses"
ESBUILD_VERSION = "0.28.2"

# Exact versions; npm resolves nothing else (the noble packages have no dependencies but
# each other, socket.io-client's ESM build already contains its own dependencies).
PACKAGES = {
    "@noble/curves": "2.4.0",
    "@noble/hashes": "2.4.0",
    "@noble/ciphers": "2.4.0",
    "socket.io-client": "4.8.4",
    "qrcode-generator": "2.0.4",
    "axe-core": "4.14.1",
    "@discordapp/twemoji": "16.0.1",
}

# The check-in faces and the heart as pictures (issue 14 item 5): the same on every phone,
# whatever its emoji font. Only these few of Twemoji's 3,800 files, copied unchanged.
TWEMOJI_CODES = ["1f622", "1f641", "1f610", "1f642", "1f604", "1f49b"]

# What the crypto port needs, and nothing more: esbuild drops the rest of the libraries
# (ristretto, FROST, hash-to-curve, other ciphers) by tree shaking.
NOBLE_ENTRY = """\
export { ed25519, x25519 } from '@noble/curves/ed25519.js';
export { sha256, sha512 } from '@noble/hashes/sha2.js';
export { hmac } from '@noble/hashes/hmac.js';
export { hkdf } from '@noble/hashes/hkdf.js';
export { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
export { equalBytes } from '@noble/ciphers/utils.js';
export { bytesToHex, hexToBytes, concatBytes, randomBytes } from '@noble/hashes/utils.js';
"""

# qrcode-generator ships an ES module; bundling only minifies it (about a third the size).
QRCODE_ENTRY = """\
export { default, stringToBytes } from 'qrcode-generator';
"""

# Every committed file: how it is made, from which package files, under which licence.
# Each name carries its package's version, so the relay can let browsers cache vendored files
# for a year (relay/webapp.py): a new version is a new URL. After an upgrade, update the
# imports (crypto/primitives.js, lib/relay.js, app/parts/qr.js, tests/web); the tests fail
# on any import of a name that no longer exists.
FILES = {
    f"noble-{PACKAGES['@noble/curves']}.js": {
        "build": "esbuild",
        "entry": NOBLE_ENTRY,
        "banner": "/*! @noble/curves, @noble/hashes, @noble/ciphers 2.4.0 (MIT) (c) Paul Miller"
        " paulmillr.com; see licenses/ */",
        # The source files each package contributes are read from esbuild's metafile.
        "packages": ["@noble/curves", "@noble/hashes", "@noble/ciphers"],
    },
    f"socket.io-{PACKAGES['socket.io-client']}.esm.min.js": {
        "build": "copy",
        "packages": {"socket.io-client": ["dist/socket.io.esm.min.js"]},
    },
    f"qrcode-generator-{PACKAGES['qrcode-generator']}.js": {
        "build": "esbuild",
        "entry": QRCODE_ENTRY,
        "banner": "/*! qrcode-generator 2.0.4 (MIT) Copyright (c) 2009 Kazuhiko Arase;"
        " see licenses/ */",
        "packages": ["qrcode-generator"],
    },
    f"axe-core-{PACKAGES['axe-core']}.min.js": {
        "build": "copy",
        "packages": {"axe-core": ["axe.min.js"]},
    },
    **{
        f"twemoji-{code}-{PACKAGES['@discordapp/twemoji']}.svg": {
            "build": "copy",
            "packages": {"@discordapp/twemoji": [f"dist/svg/{code}.svg"]},
        }
        for code in TWEMOJI_CODES
    },
}

# Licence files copied into licenses/, as "<package>/<file in package>" -> committed name.
# socket.io-client's ESM build bundles engine.io-client, engine.io-parser, socket.io-parser
# and @socket.io/component-emitter, so their licences travel with it.
LICENSE_FILES = {
    "@noble/curves/LICENSE": "noble-curves.LICENSE",
    "@noble/hashes/LICENSE": "noble-hashes.LICENSE",
    "@noble/ciphers/LICENSE": "noble-ciphers.LICENSE",
    "socket.io-client/LICENSE": "socket.io-client.LICENSE",
    "engine.io-client/LICENSE": "engine.io-client.LICENSE",
    "engine.io-parser/LICENSE": "engine.io-parser.LICENSE",
    "socket.io-parser/LICENSE": "socket.io-parser.LICENSE",
    "@socket.io/component-emitter/LICENSE": "component-emitter.LICENSE",
    "axe-core/LICENSE": "axe-core.LICENSE",
    "axe-core/LICENSE-3RD-PARTY.txt": "axe-core.LICENSE-3RD-PARTY.txt",
    "@discordapp/twemoji/LICENSE": "twemoji.LICENSE",
}

# qrcode-generator's npm package has no LICENSE file; its source header says "Licensed
# under the MIT license", so the standard MIT text is written with its copyright line.
QRCODE_LICENSE = """\
qrcode-generator (npm), https://github.com/kazuhikoarase/qrcode-generator

The MIT License (MIT)

Copyright (c) 2009 Kazuhiko Arase

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""

# Twemoji's npm package carries the code's MIT licence only; its README names CC-BY 4.0 for
# the graphics and asks for a mention in a README or an About page (vendor/README.md).
TWEMOJI_GRAPHICS_LICENSE = """\
Twemoji graphics (npm @discordapp/twemoji 16.0.1), https://github.com/jdecked/twemoji

Copyright (c) 2022-present Jason Sofonia & Justine De Caires
Copyright (c) 2014-2021 Twitter

The graphics are licensed under the Creative Commons Attribution 4.0 International
licence (CC-BY 4.0): https://creativecommons.org/licenses/by/4.0/

Steuntje uses six of them unchanged (clients/web/vendor/twemoji-*.svg): the check-in
faces 1f622, 1f641, 1f610, 1f642, 1f604 and the yellow heart 1f49b.
"""

ESBUILD_FLAGS = [
    "--bundle",
    "--format=esm",
    "--minify",
    "--target=es2020",
    "--legal-comments=none",
    "--charset=utf8",
]


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(args: list[str], cwd: Path) -> None:
    # Fixed argument lists built from the constants above, never from user input.
    subprocess.run(args, cwd=cwd, check=True)  # noqa: S603


def install(work: Path) -> Path:
    """npm install the pinned packages and esbuild into ``work``; returns node_modules."""
    (work / "package.json").write_text('{"private": true}\n')
    specs = [f"{name}@{version}" for name, version in PACKAGES.items()]
    specs.append(f"esbuild@{ESBUILD_VERSION}")
    # --ignore-scripts: no package code runs at install time (esbuild's binary comes as
    # an optional dependency package, so it needs no postinstall).
    run(
        ["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", "--save-exact", *specs],
        work,
    )
    modules = work / "node_modules"
    for name, version in PACKAGES.items():
        installed = json.loads((modules / name / "package.json").read_text())["version"]
        if installed != version:
            sys.exit(f"{name}: npm installed {installed}, expected {version}")
    return modules


def package_license(modules: Path, name: str) -> str:
    return json.loads((modules / name / "package.json").read_text())["license"]


def build_file(name: str, spec: dict, modules: Path, work: Path) -> dict[str, list[str]]:
    """Write VENDOR/name; returns, per package, the package files it was made from."""
    target = VENDOR / name
    if spec["build"] == "copy":
        ((package, sources),) = spec["packages"].items()
        shutil.copyfile(modules / package / sources[0], target)
        return spec["packages"]
    entry = work / f"entry-{name}"
    entry.write_text(spec["entry"])
    metafile = work / f"meta-{name}.json"
    esbuild = modules / ".bin" / "esbuild"
    run(
        [
            str(esbuild),
            str(entry),
            *ESBUILD_FLAGS,
            f"--banner:js={spec['banner']}",
            f"--metafile={metafile}",
            f"--outfile={target}",
        ],
        work,
    )
    return bundled_sources(json.loads(metafile.read_text()), spec["packages"])


def bundled_sources(meta: dict, packages: list[str]) -> dict[str, list[str]]:
    """The files of each package that contribute bytes to the bundle (after tree shaking)."""
    ((output,),) = [meta["outputs"].values()]
    sources: dict[str, list[str]] = {package: [] for package in packages}
    for path, used in output["inputs"].items():
        if used["bytesInOutput"] == 0 or "node_modules/" not in path:
            continue
        inside = path.split("node_modules/", 1)[1]
        package = next(p for p in packages if inside.startswith(p + "/"))
        sources[package].append(inside.removeprefix(package + "/"))
    return {package: sorted(files) for package, files in sources.items()}


def refresh() -> None:
    with tempfile.TemporaryDirectory(prefix="steuntje-vendor-") as tmp:
        work = Path(tmp)
        modules = install(work)
        manifest: dict = {
            "schema": "steuntje-vendor/v1",
            "generator": "clients/web/vendor/refresh.py",
            "esbuild": {"version": ESBUILD_VERSION, "flags": ESBUILD_FLAGS},
            "files": {},
            "licenses": {},
        }
        for name, spec in FILES.items():
            sources_by_package = build_file(name, spec, modules, work)
            manifest["files"][name] = {
                "build": spec["build"],
                "packages": [
                    {
                        "name": package,
                        "version": PACKAGES[package],
                        "license": package_license(modules, package),
                        "sources": sources,
                    }
                    for package, sources in sources_by_package.items()
                ],
                "sha256": sha256_file(VENDOR / name),
            }
            if spec["build"] == "esbuild":
                manifest["files"][name]["entry"] = spec["entry"]
        LICENSES.mkdir(exist_ok=True)
        for source, committed in LICENSE_FILES.items():
            shutil.copyfile(modules / source, LICENSES / committed)
        (LICENSES / "qrcode-generator.LICENSE").write_text(QRCODE_LICENSE)
        (LICENSES / "twemoji-graphics.LICENSE").write_text(TWEMOJI_GRAPHICS_LICENSE)
        for path in sorted(LICENSES.iterdir()):
            manifest["licenses"][f"licenses/{path.name}"] = {"sha256": sha256_file(path)}
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"wrote {len(FILES)} files and {len(manifest['licenses'])} licences; see MANIFEST.json")


def check() -> list[str]:
    """Problems with the committed files (empty when all match MANIFEST.json); no network."""
    manifest = json.loads(MANIFEST.read_text())
    expected = {**manifest["files"], **manifest["licenses"]}
    problems = []
    for name, entry in expected.items():
        path = VENDOR / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif sha256_file(path) != entry["sha256"]:
            problems.append(f"{name}: SHA-256 differs from MANIFEST.json")
    own = {"MANIFEST.json", "README.md", "refresh.py"}
    for path in VENDOR.rglob("*"):
        relative = path.relative_to(VENDOR).as_posix()
        unlisted = relative not in expected and relative not in own
        if path.is_file() and unlisted and "__pycache__" not in relative:
            problems.append(f"{relative}: not in MANIFEST.json")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify hashes, no network")
    if parser.parse_args().check:
        problems = check()
        for problem in problems:
            print(problem, file=sys.stderr)
        sys.exit(1 if problems else 0)
    refresh()


if __name__ == "__main__":
    main()
