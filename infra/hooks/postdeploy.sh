#!/bin/sh
# azd postdeploy hook (azure.yaml). Event Grid subscribes a webhook only if it answers, and the Functions
# host creates its blob extension key only once it runs the blob triggers, so the Event Grid subscriptions
# of the blob triggers are deployed after the code: wait for the Function App to answer, then provision
# again with ELITE_BLOB_EVENTS=true (infra/modules/event-subscriptions.bicep). Idempotent.
set -eu

if [ "${ELITE_BLOB_EVENTS:-false}" = "true" ]; then
  echo "postdeploy: the blob triggers are already subscribed to Event Grid."
  exit 0
fi
host="${FUNCTION_APP_HOSTNAME:?FUNCTION_APP_HOSTNAME is not set: run azd provision first}"

echo "postdeploy: waiting for the Function App at https://$host to start ..."
tries=0
until curl --silent --fail --output /dev/null --max-time 60 "https://$host/"; do
  tries=$((tries + 1))
  if [ "$tries" -ge 30 ]; then
    echo "postdeploy: the Function App did not answer in 15 minutes; run 'azd hooks run postdeploy' later." >&2
    exit 1
  fi
  sleep 30
done

echo "postdeploy: subscribing the blob triggers to Event Grid (azd provision) ..."
azd env set ELITE_BLOB_EVENTS true
if ! azd provision --no-prompt; then
  azd env set ELITE_BLOB_EVENTS false
  echo "postdeploy: provisioning the Event Grid subscriptions failed; run 'azd hooks run postdeploy' to retry." >&2
  exit 1
fi
