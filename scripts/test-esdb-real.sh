#!/bin/sh
# npm run test:esdb-real: the EventStoreDB path against a real node, the one in TEST_ESDB_URL
# (README, "EventStoreDB"): the end-to-end suite on it (jest project eventstoredb), then the store
# contract, the projection engine and the specs of the node's behaviour (test/esdb-*). The specs
# that must control the node (restart it, slow it down, switch its behaviour) run on test servers
# of their own as in every run; those of the node's behaviour that need one skip.
set -e
if [ -z "$TEST_ESDB_URL" ]; then
  echo "test:esdb-real needs TEST_ESDB_URL, e.g. TEST_ESDB_URL='esdb://localhost:2113?tls=false' after 'docker compose up -d eventstore'" >&2
  exit 1
fi
npx jest --ci --selectProjects eventstoredb
npx jest --ci --selectProjects postgres libs/event-store/src/eventstoredb libs/projection-engine/src/projection-engine.spec.ts test/esdb-
