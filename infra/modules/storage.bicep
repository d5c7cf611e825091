// The pipeline's storage account: the containers, queues and tables that core defines (loaded from
// core-names.json, which a test regenerates from core/Elite.Core), reached only with Microsoft Entra
// identities, and the data roles of the two apps on it.

var roleIds = loadJsonContent('role-ids.json')

@description('Storage account name.')
param name string

param location string
param tags object

@description('Days a deleted or overwritten blob (a result image, a concept photo) can still be restored.')
@minValue(1)
@maxValue(365)
param blobSoftDeleteDays int

@description('Days result images are kept before the lifecycle rule deletes them.')
param resultRetentionDays int

@description('Principal id of the Function App\'s identity.')
param functionsPrincipalId string

@description('Principal id of the worker\'s identity.')
param workerPrincipalId string

@description('Object id of the person deploying, who may upload concept photos and job CSVs and read results; empty for none.')
param deployerPrincipalId string

var names = loadJsonContent('../core-names.json')

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
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: blobSoftDeleteDays
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: blobSoftDeleteDays
    }
    // The web console uploads concepts from the browser through the API's write-only links (core's BrowserUploads).
    cors: {
      corsRules: [names.browserUploadCors]
    }
  }
}

// Results are deleted resultRetentionDays after they were written (the Function App tells callers when, from the same
// number). Uploads and embeddings stay until their concept is deleted.
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2025-06-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'expire-results'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              prefixMatch: [
                '${names.resultsContainer}/'
              ]
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterCreationGreaterThan: resultRetentionDays
                }
              }
            }
          }
        }
      ]
    }
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' = [
  for container in names.containers: {
    parent: blobService
    name: container
    properties: {
      publicAccess: 'None'
    }
  }
]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2025-06-01' = {
  parent: account
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-06-01' = [
  for queue in names.queues: {
    parent: queueService
    name: queue
  }
]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2025-06-01' = {
  parent: account
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-06-01' = [
  for table in names.tables: {
    parent: tableService
    name: table
  }
]

// Both apps read and write blobs, queues and tables of the pipeline: the same three data roles, on the
// account (the containers, queues and tables are all the pipeline's).
var dataRoles = [
  roleIds.storageBlobDataContributor
  roleIds.storageQueueDataContributor
  roleIds.storageTableDataContributor
]

resource functionsDataRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in dataRoles: {
    name: guid(account.id, functionsPrincipalId, roleId)
    scope: account
    properties: {
      principalId: functionsPrincipalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    }
  }
]

resource workerDataRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in dataRoles: {
    name: guid(account.id, workerPrincipalId, roleId)
    scope: account
    properties: {
      principalId: workerPrincipalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    }
  }
]

// The person deploying uploads concept photos and prompt CSVs (as the README shows) and reads the results.
resource uploadContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' existing = [
  for container in names.userUploadContainers: {
    parent: blobService
    name: container
  }
]

resource deployerUploads 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (container, i) in names.userUploadContainers: if (!empty(deployerPrincipalId)) {
    name: guid(uploadContainers[i].id, deployerPrincipalId, roleIds.storageBlobDataContributor)
    scope: uploadContainers[i]
    properties: {
      principalId: deployerPrincipalId
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataContributor)
    }
    dependsOn: [containers]
  }
]

resource resultsContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' existing = {
  parent: blobService
  name: names.resultsContainer
}

resource deployerResults 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(resultsContainer.id, deployerPrincipalId, roleIds.storageBlobDataReader)
  scope: resultsContainer
  properties: {
    principalId: deployerPrincipalId
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataReader)
  }
  dependsOn: [containers]
}

output name string = account.name
output id string = account.id
