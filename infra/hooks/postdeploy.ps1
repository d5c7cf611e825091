# azd postdeploy hook for Windows (azure.yaml); the same steps as postdeploy.sh: wait for the Function App
# to answer, then provision again with ELITE_BLOB_EVENTS=true to subscribe the blob triggers to Event Grid.
$ErrorActionPreference = 'Stop'

if ($env:ELITE_BLOB_EVENTS -eq 'true') {
    Write-Host 'postdeploy: the blob triggers are already subscribed to Event Grid.'
    exit 0
}
$appHost = $env:FUNCTION_APP_HOSTNAME
if (-not $appHost) { throw 'FUNCTION_APP_HOSTNAME is not set: run azd provision first' }

Write-Host "postdeploy: waiting for the Function App at https://$appHost to start ..."
$tries = 0
while ($true) {
    try {
        Invoke-WebRequest -Uri "https://$appHost/" -Method Get -TimeoutSec 60 -UseBasicParsing | Out-Null
        break
    } catch {
        $tries++
        if ($tries -ge 30) { throw "the Function App did not answer in 15 minutes; run 'azd hooks run postdeploy' later." }
        Start-Sleep -Seconds 30
    }
}

Write-Host 'postdeploy: subscribing the blob triggers to Event Grid (azd provision) ...'
azd env set ELITE_BLOB_EVENTS true
azd provision --no-prompt
if ($LASTEXITCODE -ne 0) {
    azd env set ELITE_BLOB_EVENTS false
    throw "provisioning the Event Grid subscriptions failed; run 'azd hooks run postdeploy' to retry."
}
