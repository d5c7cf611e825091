// The GPU worker: a Container Apps environment with a serverless (consumption) GPU workload profile and
// the worker's container app on it, scaled by KEDA on the length of the encode and both generate queues from
// zero replicas (no GPU is billed while both queues are empty). When a replica starts, an init container
// downloads the model pack with the worker's identity and checks every file against the pack manifest's
// sha256 before the worker itself starts taking messages.

param environmentName string
param appName string
param location string
param tags object

@description('Log Analytics workspace that receives the containers\' console logs.')
param logAnalyticsName string

@description('Application Insights component the worker reports to.')
param applicationInsightsName string

@description('Serverless GPU: T4 (16 GB) or A100 (80 GB).')
@allowed(['T4', 'A100'])
param gpuType string

@description('Resource id of the worker\'s user-assigned identity.')
param identityId string

@description('Client id of that identity.')
param identityClientId string

@description('Login server of the registry the image comes from.')
param registryLoginServer string

@description('The worker image; empty before azd has built one, which deploys a placeholder.')
param image string

@description('The pipeline\'s storage account (EliteStorage and the KEDA queue scalers).')
param dataStorageName string

@description('URL of the blob container with the model packs and the worker\'s assets.')
param modelContainerUrl string

@description('Folder of the model pack inside the model container.')
param modelPack string

@description('sha256 of bpe_simple_vocab_16e6.txt (the CLIP vocabulary) in the model container\'s assets/ folder.')
param vocabularySha256 string

@description('sha256 of u2netp.onnx (the automatic object mask) in the model container\'s assets/ folder.')
param maskModelSha256 string

@description('Most replicas, that is most GPUs at once.')
@minValue(1)
@maxValue(100)
param maxReplicas int

@description('Generate tasks waiting per replica before another replica is added.')
@minValue(1)
param generateQueueLength int

@description('Seconds without queued work before the last replica is removed.')
@minValue(0)
param cooldownSeconds int

@description('Worker__* settings (WorkerOptions), by property name.')
param workerOptions object

var names = loadJsonContent('../core-names.json')

// Serverless GPU profiles and how a replica's share is split between the init container (which
// downloads and checks the pack) and the worker, which gets the GPU.
var gpuProfiles = {
  T4: {
    workloadProfileType: 'Consumption-GPU-NC8as-T4'
    worker: { cpu: 6, memory: '42Gi' }
    init: { cpu: 2, memory: '14Gi' }
  }
  A100: {
    workloadProfileType: 'Consumption-GPU-NC24-A100'
    worker: { cpu: 22, memory: '200Gi' }
    init: { cpu: 2, memory: '20Gi' }
  }
}
var gpu = gpuProfiles[gpuType]
var gpuProfileName = 'gpu'

var modelsMountPath = '/models'
var placeholderImage = 'mcr.microsoft.com/k8se/quickstart:latest'
var workerImage = empty(image) ? placeholderImage : image

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-02-01' existing = {
  name: logAnalyticsName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource environment 'Microsoft.App/managedEnvironments@2025-07-01' = {
  name: environmentName
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: workspace.properties.customerId
        sharedKey: workspace.listKeys().primarySharedKey
      }
    }
    workloadProfiles: [
      {
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
      {
        name: gpuProfileName
        workloadProfileType: gpu.workloadProfileType
      }
    ]
  }
}

resource app 'Microsoft.App/containerApps@2025-07-01' = {
  name: appName
  location: location
  tags: union(tags, { 'azd-service-name': 'worker' })
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    environmentId: environment.id
    workloadProfileName: gpuProfileName
    configuration: {
      activeRevisionsMode: 'Single'
      // No ingress: the worker takes its work from queues and nothing calls it.
      registries: [
        {
          server: registryLoginServer
          identity: identityId
        }
      ]
      identitySettings: [
        {
          identity: identityId
          lifecycle: 'All'
        }
      ]
    }
    template: {
      // SIGTERM lets the batch in hand finish: as long as the worker's own shutdown timeout (WorkerOptions.ShutdownSeconds).
      terminationGracePeriodSeconds: 300
      initContainers: [
        {
          name: 'fetch-model-pack'
          image: workerImage
          command: ['/bin/bash', '-c']
          args: [loadTextContent('../worker/fetch-model-pack.sh')]
          env: [
            { name: 'MODEL_CONTAINER_URL', value: modelContainerUrl }
            { name: 'MODEL_PACK', value: modelPack }
            { name: 'MODELS_DIR', value: modelsMountPath }
            { name: 'VOCABULARY_SHA256', value: vocabularySha256 }
            { name: 'MASK_MODEL_SHA256', value: maskModelSha256 }
            { name: 'IDENTITY_CLIENT_ID', value: identityClientId }
          ]
          resources: gpu.init
          volumeMounts: [
            {
              volumeName: 'models'
              mountPath: modelsMountPath
            }
          ]
        }
      ]
      containers: [
        {
          name: 'worker'
          image: workerImage
          env: [
            { name: 'EliteStorage__accountName', value: dataStorageName }
            { name: 'EliteStorage__credential', value: 'managedidentity' }
            { name: 'EliteStorage__clientId', value: identityClientId }
            { name: 'Worker__PackDirectory', value: '${modelsMountPath}/pack' }
            { name: 'Worker__VocabularyPath', value: '${modelsMountPath}/assets/bpe_simple_vocab_16e6.txt' }
            { name: 'Worker__MaskModelPath', value: '${modelsMountPath}/assets/u2netp.onnx' }
            { name: 'Worker__MaxBatch', value: string(workerOptions.MaxBatch) }
            { name: 'Worker__MaxWaitMs', value: string(workerOptions.MaxWaitMs) }
            { name: 'Worker__ConceptCacheSize', value: string(workerOptions.ConceptCacheSize) }
            { name: 'Worker__MaxDequeueCount', value: string(workerOptions.MaxDequeueCount) }
            { name: 'Worker__VisibilitySeconds', value: string(workerOptions.VisibilitySeconds) }
            { name: 'Worker__ConceptNotReadyRetrySeconds', value: string(workerOptions.ConceptNotReadyRetrySeconds) }
            { name: 'Worker__ConceptReadyDeadlineSeconds', value: string(workerOptions.ConceptReadyDeadlineSeconds) }
            { name: 'Worker__UseCuda', value: 'true' }
            { name: 'Worker__Pipelined', value: 'true' }
            { name: 'Worker__DeviceBinding', value: 'false' }
            { name: 'Worker__IntraOpThreads', value: string(workerOptions.IntraOpThreads) }
            { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsights.properties.ConnectionString }
            { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'Authorization=AAD;ClientId=${identityClientId}' }
          ]
          resources: gpu.worker
          volumeMounts: [
            {
              volumeName: 'models'
              mountPath: modelsMountPath
            }
          ]
          probes: [
            {
              // Loading a full-size pack onto the GPU takes a while: allow up to 10 minutes.
              type: 'Startup'
              httpGet: {
                path: '/healthz'
                port: 8080
              }
              initialDelaySeconds: 10
              periodSeconds: 60
              failureThreshold: 10
              timeoutSeconds: 5
            }
            {
              type: 'Liveness'
              httpGet: {
                path: '/healthz'
                port: 8080
              }
              periodSeconds: 30
              failureThreshold: 3
              timeoutSeconds: 5
            }
          ]
        }
      ]
      volumes: [
        {
          name: 'models'
          storageType: 'EmptyDir'
        }
      ]
      scale: {
        minReplicas: 0
        maxReplicas: maxReplicas
        cooldownPeriod: cooldownSeconds
        pollingInterval: 15
        rules: [
          {
            // Any concept waiting to be encoded wakes a replica.
            name: 'encode-queue'
            azureQueue: {
              accountName: dataStorageName
              queueName: names.workerQueues.encode
              queueLength: 1
              identity: identityId
            }
          }
          {
            name: 'generate-queue'
            azureQueue: {
              accountName: dataStorageName
              queueName: names.workerQueues.generate
              queueLength: generateQueueLength
              identity: identityId
            }
          }
          {
            // The bulk lane scales on its own length too: replicas are added for whichever lane is long.
            name: 'generate-bulk-queue'
            azureQueue: {
              accountName: dataStorageName
              queueName: names.workerQueues.generateBulk
              queueLength: generateQueueLength
              identity: identityId
            }
          }
        ]
      }
    }
  }
}

output name string = app.name
output environmentName string = environment.name
