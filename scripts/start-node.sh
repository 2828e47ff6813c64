#!/bin/sh
# Starts a built entry point (the service, the projector) with V8's heap bounded to HEAP_LIMIT_MIB
# MiB of old space, 200 unless set, let to grow by HEAP_GROWTH_PERCENT between mark-compacts, 100
# unless set, its young generation's semi-spaces held at HEAP_SEMI_SPACE_MIB, 16 unless set, and
# V8's allocation-site pretenuring off (docs/operations.md, "Memory"). npm start,
# start:prod, start:projector, demo and the container image all start through it; the bench asks
# it for the options (`--options`), so that it measures the service as it runs
# (bench/service.spec.ts). A value that is not a whole number within its range stops the start,
# naming the setting, as the service's own settings do. `exec`: node is the process that gets the
# signals.

# A whole-number setting ($1, default $2, from $3 to $4) into $value; spaces around it are dropped
# and blank is unset, as the service reads its settings. Anything else is added to $problems.
problems=''
whole_number() {
  given=$(eval "printf '%s' \"\${$1-}\"" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
  value=${given:-$2}
  case $value in
    0) ;;
    *[!0-9]* | 0* | ???????*) value=refused ;;
  esac
  if [ "$value" != refused ] && [ "$value" -ge "$3" ] && [ "$value" -le "$4" ]; then return 0; fi
  problems="$problems- $1 must be a whole number from $3 to $4, got \"$given\"
"
}

whole_number HEAP_LIMIT_MIB 200 64 65536
heap=$value
whole_number HEAP_GROWTH_PERCENT 100 0 400
growth=$value
whole_number HEAP_SEMI_SPACE_MIB 16 0 256
semi=$value
if [ -n "$problems" ]; then
  printf 'Invalid configuration:\n%s' "$problems" >&2
  exit 2
fi
# V8's allocation-site pretenuring off: once a catch-up's or a rebuild's long-lived batches had
# taught it to allocate objects of an allocation site in the old generation (pg's rows, the
# fold's events), every later request's objects from those sites were old, and what they held
# was kept by each scavenge until a mark-compact: a dossier read's scavenges copied and promoted
# 0.5 to 1.5 MiB each, pauses of up to 28 ms under load (bench/README.md, "Dossier reads' tails (thirteenth session)").
options="--max-old-space-size=$heap --no-allocation-site-pretenuring"
# The old generation let to grow by this share of what a mark-compact left before the next: V8
# grows a heap bounded under 256 MiB by at most 1.3 times, so the service marked and compacted
# its 40 to 100 MiB every second or two in a catch-up, a rebuild or the query scenario, up to a third
# of its CPU there (bench/README.md, "V8's heap growth (sixteenth session)"). 0:
# V8's own.
if [ "$growth" -gt 0 ]; then options="$options --heap-growing-percent=$growth"; fi
# The young generation held at one size: V8 starts it at 1 MiB semi-spaces and grows it only while
# much of it survives its scavenges, and shrinks it when the process goes quiet after a
# mark-compact. A service answering requests keeps little, so after a start or a catch-up it
# scavenged every 2 to 6 MiB instead of every 16, two and a half to eight times as often, and an
# answer met a collection that much more often (bench/README.md, "The young generation held at its
# size (twenty-first session)"). 16 is V8's own most on 64-bit, which a catch-up or a rebuild
# reaches anyway: their peaks stay where they were, the query scenario's rose by 6 to 20 MiB
# (a young generation no longer shrunk there). 0: V8's own sizing.
if [ "$semi" -gt 0 ]; then options="$options --min-semi-space-size=$semi --max-semi-space-size=$semi"; fi
if [ "$1" = --options ]; then
  echo "$options"
  exit 0
fi
# shellcheck disable=SC2086 # options without spaces
exec node $options "$@"
