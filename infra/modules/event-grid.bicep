// Event Grid system topic on the pipeline's storage account. Its subscriptions (event-subscriptions.bicep)
// are added once the Function App's code is deployed: Event Grid checks a webhook when it subscribes it, and
// the blob extension's key exists only after the Functions host has started with the blob triggers.

param name string
param location string
param tags object

@description('Resource id of the pipeline\'s storage account.')
param storageAccountId string

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    source: storageAccountId
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

output name string = topic.name
