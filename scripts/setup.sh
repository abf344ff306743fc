#!/usr/bin/env bash
# Set up formflow in ./.venv (idempotent; fast when nothing changed).
#   scripts/setup.sh          the program
#   scripts/setup.sh test     the program and what the test suite needs
# Needs Python 3.11+. On Debian, when run as root (or with sudo), it installs python3-venv if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
extra="${1:-}"

PY="${PYTHON:-python3}"
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "formflow 需要 Python 3.11 或更新版本 needs Python 3.11+ (found: $("$PY" --version 2>&1))" >&2
    exit 1
fi

apt_install() {
    # Install Debian packages when we may (root, or passwordless sudo); otherwise name them.
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! command -v apt-get >/dev/null; then
        echo "请安装系统软件包 please install: ${missing[*]}" >&2; return 1
    fi
    local sudo=""
    [ "$(id -u)" -ne 0 ] && { sudo -n true 2>/dev/null && sudo="sudo -n" || { echo "请以 root 安装 please run as root: apt-get install ${missing[*]}" >&2; return 1; }; }
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

if ! "$PY" -c 'import venv, ensurepip' 2>/dev/null; then
    apt_install python3-venv
fi

# WeasyPrint (PDF output) loads Pango, HarfBuzz (its subsetter embeds only the glyphs used) and
# fontconfig from the system. The tests read the PDFs back with poppler's pdftotext/pdffonts/pdftoppm.
apt_install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1
if [ "$extra" = test ]; then
    apt_install poppler-utils
    # An independent filler for the PDF-form round trip (tests/test_intake_pdf.py fills blanks with pdftk).
    apt_install pdftk-java
    # The web desk's browser tests drive this Chromium (through Playwright, which downloads no browser).
    apt_install chromium
    # Stations replicate their logs with Syncthing: the tests start real instances on localhost.
    apt_install syncthing
fi

if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
stamp=".venv/.formflow-installed-${extra:-run}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install -q --disable-pip-version-check -U pip
    if [ "$extra" = test ]; then
        .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
    else
        .venv/bin/python -m pip install -q --disable-pip-version-check -e .
    fi
    touch "$stamp"
fi
