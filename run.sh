#!/usr/bin/env bash
# Quick start: set up, check the definitions, and run the engine on this repository's own workspace.
#   ./run.sh          one pass: everything in inbox/ is stored or set aside; outbox/ gets PDFs and the to-do list
#   ./run.sh watch    the same, then keep watching inbox/ until Ctrl-C
#   ./run.sh demo     copy the valid example of every form into inbox/ first, then one pass
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
ff=.venv/bin/formflow
$ff check --root .
if [ "${1:-}" = demo ]; then
    for example in examples/*/valid.yaml; do
        cp "$example" "inbox/示例-$(basename "$(dirname "$example")").yaml"
    done
fi
code=0
$ff process --root . || code=$?   # 1 = something was set aside: see outbox/rejected/*.说明.txt
$ff todo --root .
if [ "${1:-}" = watch ]; then
    exec $ff watch --root .
fi
exit "$code"
