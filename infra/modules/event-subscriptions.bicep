// Event Grid subscriptions that deliver BlobCreated events of the concepts/ and jobs/ containers to the
// Function App's blob triggers (Event Grid source, which Flex Consumption requires), one per trigger that
// core's BlobTriggerFunctions lists. Deployed by the azd postdeploy hook, once the app runs its code.

param systemTopicName string
param functionAppName string

@description('Resource id of the pipeline\'s storage account, whose dead-letter container keeps the events given up on.')
param storageAccountId string

var names = loadJsonContent('../core-names.json')

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: systemTopicName
}

resource functionApp 'Microsoft.Web/sites@2024-11-01' existing = {
  name: functionAppName
}

// The blob extension's system key, created by the Functions host when it loads the Event Grid blob triggers.
var blobsExtensionKey = listKeys('${functionApp.id}/host/default', '2024-11-01').systemKeys.blobs_extension

resource subscriptions 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = [
  for trigger in names.blobTriggers: {
    parent: topic
    name: toLower(trigger.functionName)
    properties: {
      eventDeliverySchema: 'EventGridSchema'
      destination: {
        endpointType: 'WebHook'
        properties: {
          endpointUrl: 'https://${functionApp.properties.defaultHostName}/runtime/webhooks/blobs?functionName=Host.Functions.${trigger.functionName}&code=${blobsExtensionKey}'
          maxEventsPerBatch: 1
          preferredBatchSizeInKilobytes: 64
        }
      }
      filter: {
        includedEventTypes: ['Microsoft.Storage.BlobCreated']
        subjectBeginsWith: '/blobServices/default/containers/${trigger.container}/'
        subjectEndsWith: trigger.nameSuffix
      }
      retryPolicy: {
        maxDeliveryAttempts: 30
        eventTimeToLiveInMinutes: 1440
      }
      // An event given up on is kept, not dropped; the reconciler finds its upload by listing the containers.
      deadLetterWithResourceIdentity: {
        identity: {
          type: 'SystemAssigned'
        }
        deadLetterDestination: {
          endpointType: 'StorageBlob'
          properties: {
            resourceId: storageAccountId
            blobContainerName: names.deadLetterContainer
          }
        }
      }
    }
  }
]

output names array = [for (trigger, i) in names.blobTriggers: subscriptions[i].name]
