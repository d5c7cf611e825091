// ELITE pipeline on Azure: `azd up` deploys this template (subscription scope: it creates the resource
// group) and then the two apps. See README.md, "Deploy to Azure".
//
//   storage (data)   containers, queues and tables from core; identity-only; soft delete on blobs
//   storage (host)   Functions host storage, Flex deployment package, model packs
//   Function App     Flex Consumption, .NET 10 isolated, user-assigned identity
//   GPU worker       Container Apps serverless GPU (T4 or A100), KEDA queue scaling from zero
//   Event Grid       blob-created events of concepts/ and jobs/ to the blob triggers
//   Key Vault        webhook signing secret, read by the Function App's identity
//   monitoring       Log Analytics + Application Insights for both apps
//   registry         the worker image (built remotely by azd)

targetScope = 'subscription'

@minLength(1)
@maxLength(40)
@description('Name of the azd environment; resource names and tags derive from it.')
param environmentName string

@minLength(1)
@description('Region of every resource: one that offers Container Apps serverless GPUs of gpuType and Flex Consumption.')
param location string

@description('GPU of the worker: T4 (16 GB, the cheaper one) or A100 (80 GB).')
@allowed(['T4', 'A100'])
param gpuType string = 'T4'

@description('Most worker replicas, that is most GPUs billed at once.')
@minValue(1)
@maxValue(100)
param workerMaxReplicas int = 1

@description('Generate tasks waiting per worker replica before another one is added.')
@minValue(1)
param generateQueueLength int = 16

@description('Seconds without queued work before the last worker replica (and its GPU) goes away.')
@minValue(0)
param workerCooldownSeconds int = 300

@description('Most generate tasks in one UNet batch (Worker__MaxBatch).')
@minValue(1)
@maxValue(64)
param workerMaxBatch int = 4

@description('Folder of the model pack to serve inside the model container (see README).')
@minLength(1)
param modelPack string = 'sd14-elite'

@description('sha256 of bpe_simple_vocab_16e6.txt, as pinned by run.sh.')
param vocabularySha256 string = '27ad42d633dac2996556ac90d6b8411cd991a8486756fc4deff70aaef2170af2'

@description('sha256 of u2netp.onnx, as pinned by run.sh.')
param maskModelSha256 string = '309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8'

@description('The worker image azd built (SERVICE_WORKER_IMAGE_NAME); empty before the first deploy.')
param workerImage string = ''

@description('Object id of the person deploying (azd passes it): may upload model packs, concept photos and job CSVs, read results and read the webhook secret back. Empty for none.')
param principalId string = ''

@secure()
@description('Secret that signs the webhooks (azd generates it once and keeps it in Key Vault).')
param webhookSigningSecret string

@description('Subscribe the blob triggers to Event Grid; the azd postdeploy hook turns this on once the functions\' code runs.')
param enableBlobEventSubscriptions bool = false

@description('Days a deleted or overwritten blob (results, uploads) can be restored.')
@minValue(1)
@maxValue(365)
param blobSoftDeleteDays int = 7

@description('Days result images are kept: a lifecycle rule deletes results/ blobs this long after they were written, and the API tells callers when.')
@minValue(1)
@maxValue(3650)
param resultRetentionDays int = 30

@description('Most Function App instances.')
@minValue(40)
@maxValue(1000)
param functionMaximumInstances int = 40

@description('Memory of one Function App instance, in MB.')
@allowed([512, 2048, 4096])
param functionInstanceMemoryMB int = 2048

@description('Client id of the Microsoft Entra app registration that signs API callers in (App Service Authentication in front of the Function App); empty: no sign-in, callers use the function key.')
param apiEntraClientId string = ''

@description('With sign-in on, also accept function-key callers (as one caller, the deployment\'s default), for a single-tenant deployment that wants them.')
param allowFunctionKeyCallers bool = true

@description('Days Log Analytics keeps logs.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 30

var token = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var webhookSecretName = 'webhook-signing-secret'
var modelContainerName = 'models'
var deploymentContainerName = 'app-package'

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identities 'modules/identities.bicep' = {
  name: 'identities'
  scope: rg
  params: {
    functionsIdentityName: 'id-func-${token}'
    workerIdentityName: 'id-worker-${token}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${token}'
    applicationInsightsName: 'appi-${token}'
    location: location
    tags: tags
    retentionDays: logRetentionDays
    publisherPrincipalIds: [identities.outputs.functionsPrincipalId, identities.outputs.workerPrincipalId]
  }
}

module dataStorage 'modules/storage.bicep' = {
  name: 'data-storage'
  scope: rg
  params: {
    name: 'stdata${token}'
    location: location
    tags: tags
    blobSoftDeleteDays: blobSoftDeleteDays
    resultRetentionDays: resultRetentionDays
    functionsPrincipalId: identities.outputs.functionsPrincipalId
    workerPrincipalId: identities.outputs.workerPrincipalId
    deployerPrincipalId: principalId
  }
}

module hostStorage 'modules/host-storage.bicep' = {
  name: 'host-storage'
  scope: rg
  params: {
    name: 'sthost${token}'
    location: location
    tags: tags
    functionsPrincipalId: identities.outputs.functionsPrincipalId
    workerPrincipalId: identities.outputs.workerPrincipalId
    uploaderPrincipalId: principalId
    deploymentContainerName: deploymentContainerName
    modelContainerName: modelContainerName
  }
}

module keyVault 'modules/key-vault.bicep' = {
  name: 'key-vault'
  scope: rg
  params: {
    name: 'kv-${token}'
    location: location
    tags: tags
    webhookSigningSecret: webhookSigningSecret
    webhookSecretName: webhookSecretName
    functionsPrincipalId: identities.outputs.functionsPrincipalId
    deployerPrincipalId: principalId
  }
}

module registry 'modules/registry.bicep' = {
  name: 'registry'
  scope: rg
  params: {
    name: 'cr${token}'
    location: location
    tags: tags
    workerPrincipalId: identities.outputs.workerPrincipalId
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    planName: 'plan-${token}'
    appName: 'func-${token}'
    location: location
    tags: tags
    identityId: identities.outputs.functionsId
    identityClientId: identities.outputs.functionsClientId
    hostStorageName: hostStorage.outputs.name
    deploymentContainerUrl: hostStorage.outputs.deploymentContainerUrl
    dataStorageName: dataStorage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    webhookSecretUri: keyVault.outputs.webhookSecretUri
    maximumInstanceCount: functionMaximumInstances
    instanceMemoryMB: functionInstanceMemoryMB
    resultRetentionDays: resultRetentionDays
    entraClientId: apiEntraClientId
    allowFunctionKeyCallers: allowFunctionKeyCallers
  }
}

module worker 'modules/worker.bicep' = {
  name: 'worker'
  scope: rg
  params: {
    environmentName: 'cae-${token}'
    appName: 'ca-worker-${token}'
    location: location
    tags: tags
    logAnalyticsName: monitoring.outputs.logAnalyticsName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    gpuType: gpuType
    identityId: identities.outputs.workerId
    identityClientId: identities.outputs.workerClientId
    registryLoginServer: registry.outputs.loginServer
    image: workerImage
    dataStorageName: dataStorage.outputs.name
    modelContainerUrl: hostStorage.outputs.modelContainerUrl
    modelPack: modelPack
    vocabularySha256: vocabularySha256
    maskModelSha256: maskModelSha256
    maxReplicas: workerMaxReplicas
    generateQueueLength: generateQueueLength
    cooldownSeconds: workerCooldownSeconds
    workerOptions: {
      MaxBatch: workerMaxBatch
      MaxWaitMs: 500
      ConceptCacheSize: 64
      MaxDequeueCount: 5
      VisibilitySeconds: 120
      ConceptNotReadyRetrySeconds: 15
      ConceptReadyDeadlineSeconds: 1800
      IntraOpThreads: 0
    }
  }
}

module eventGrid 'modules/event-grid.bicep' = {
  name: 'event-grid'
  scope: rg
  params: {
    name: 'evgt-${token}'
    location: location
    tags: tags
    storageAccountId: dataStorage.outputs.id
  }
}

module eventSubscriptions 'modules/event-subscriptions.bicep' = if (enableBlobEventSubscriptions) {
  name: 'event-subscriptions'
  scope: rg
  params: {
    systemTopicName: eventGrid.outputs.name
    functionAppName: functionApp.outputs.name
    storageAccountId: dataStorage.outputs.id
  }
}

output AZURE_LOCATION string = location
output AZURE_RESOURCE_GROUP string = rg.name
output API_BASE_URL string = 'https://${functionApp.outputs.defaultHostName}/api'
output FUNCTION_APP_NAME string = functionApp.outputs.name
output FUNCTION_APP_HOSTNAME string = functionApp.outputs.defaultHostName
output AZURE_STORAGE_ACCOUNT_NAME string = dataStorage.outputs.name
output MODEL_STORAGE_ACCOUNT_NAME string = hostStorage.outputs.name
output MODEL_CONTAINER_NAME string = modelContainerName
output MODEL_PACK string = modelPack
output WORKER_CONTAINER_APP_NAME string = worker.outputs.name
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = registry.outputs.loginServer
output AZURE_CONTAINER_REGISTRY_NAME string = registry.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output EVENT_GRID_TOPIC_NAME string = eventGrid.outputs.name
