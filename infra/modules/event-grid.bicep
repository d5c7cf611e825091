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
  // Writes the events its subscriptions give up on into the dead-letter container (storage.bicep grants it that).
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: storageAccountId
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

var names = loadJsonContent('../core-names.json')
var roleIds = loadJsonContent('role-ids.json')

resource account 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: last(split(storageAccountId, '/'))
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-06-01' existing = {
  parent: account
  name: 'default'
}

resource deadLetters 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' existing = {
  parent: blobService
  name: names.deadLetterContainer
}

// The topic's own identity writes dead letters, to that one container only.
resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deadLetters.id, topic.id, roleIds.storageBlobDataContributor)
  scope: deadLetters
  properties: {
    principalId: topic.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataContributor)
  }
}

output name string = topic.name
