#!/bin/sh
# Starts a built entry point (the service, the projector) with V8's heap bounded to HEAP_LIMIT_MIB
# MiB of old space, 200 unless set, and V8's allocation-site pretenuring off (docs/operations.md,
# "Memory"). npm start, start:prod,
# start:projector, demo and the container image all start through it; the bench asks it for the
# options (`--options`), so that it measures the service as it runs (bench/service.spec.ts).
# A value that is not a whole number of MiB from 64 to 65536 stops the start, naming the setting,
# as the service's own settings do. `exec`: node is the process that gets the signals.
# Spaces around the value are dropped and blank is unset, as the service reads its settings.
heap=$(printf '%s' "${HEAP_LIMIT_MIB-}" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
heap=${heap:-200}
case $heap in
  *[!0-9]* | 0* | ?????? | ???????*) valid=no ;;
  *) if [ "$heap" -ge 64 ] && [ "$heap" -le 65536 ]; then valid=yes; else valid=no; fi ;;
esac
if [ "$valid" = no ]; then
  printf 'Invalid configuration:\n- HEAP_LIMIT_MIB must be a whole number from 64 to 65536, got "%s"\n' "$heap" >&2
  exit 2
fi
# V8's allocation-site pretenuring off: once a catch-up's or a rebuild's long-lived batches had
# taught it to allocate objects of an allocation site in the old generation (pg's rows, the
# fold's events), every later request's objects from those sites were old, and what they held
# was kept by each scavenge until a mark-compact: a dossier read's scavenges copied and promoted
# 0.5 to 1.5 MiB each, pauses of up to 28 ms under load (bench/README.md, "Dossier reads' tails (thirteenth session)").
options="--max-old-space-size=$heap --no-allocation-site-pretenuring"
if [ "$1" = --options ]; then
  echo "$options"
  exit 0
fi
# shellcheck disable=SC2086 # two options, no spaces in either
exec node $options "$@"
