// The second storage account, for the platform rather than the pipeline's data: the Functions host's own
// storage (AzureWebJobsStorage), the Flex Consumption deployment package, and the model packs the worker
// downloads when a replica starts. Keeping these apart leaves the data account with exactly the names core
// defines.

var roleIds = loadJsonContent('role-ids.json')

param name string
param location string
param tags object

@description('Principal id of the Function App\'s identity (host storage and deployment package).')
param functionsPrincipalId string

@description('Principal id of the worker\'s identity (reads the model container only).')
param workerPrincipalId string

@description('Object id of the person deploying, who uploads model packs; empty for none.')
param uploaderPrincipalId string

@description('Blob container of the Flex Consumption deployment package.')
param deploymentContainerName string

@description('Blob container of the model packs and the worker\'s assets.')
param modelContainerName string

resource account 'Microsoft.Storage/storageAccounts@2025-06-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-06-01' = {
  parent: account
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource modelContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' = {
  parent: blobService
  name: modelContainerName
  properties: {
    publicAccess: 'None'
  }
}

// The Functions host keeps its keys, leases and blob-trigger receipts in blobs (Blob Data Owner is what the
// Functions documentation asks of an identity-based AzureWebJobsStorage), queues its blob-trigger work
// items and writes its diagnostic events to a table.
var hostRoles = [
  roleIds.storageBlobDataOwner
  roleIds.storageQueueDataContributor
  roleIds.storageTableDataContributor
]

resource hostRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in hostRoles: {
    name: guid(account.id, functionsPrincipalId, roleId)
    scope: account
    properties: {
      principalId: functionsPrincipalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    }
  }
]

resource workerModelReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(modelContainer.id, workerPrincipalId, roleIds.storageBlobDataReader)
  scope: modelContainer
  properties: {
    principalId: workerPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataReader)
  }
}

resource uploaderModelContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(uploaderPrincipalId)) {
  name: guid(modelContainer.id, uploaderPrincipalId, roleIds.storageBlobDataContributor)
  scope: modelContainer
  properties: {
    principalId: uploaderPrincipalId
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataContributor)
  }
}

output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output deploymentContainerUrl string = '${account.properties.primaryEndpoints.blob}${deploymentContainer.name}'
output modelContainerUrl string = '${account.properties.primaryEndpoints.blob}${modelContainer.name}'
