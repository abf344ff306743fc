#!/usr/bin/env bash
# Quick start: set up, then check the repository's own workspace and list its forms.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
.venv/bin/formflow check --root .
.venv/bin/formflow forms --root .
