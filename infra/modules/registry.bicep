// Container registry for the worker image: azd builds the image in it (remote build, no local Docker
// needed) and the worker pulls it with its managed identity.

var roleIds = loadJsonContent('role-ids.json')

param name string
param location string
param tags object

@description('Principal id of the worker\'s identity, which pulls the image.')
param workerPrincipalId string

resource registry 'Microsoft.ContainerRegistry/registries@2025-04-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Basic'
  }
  properties: {
    adminUserEnabled: false
    anonymousPullEnabled: false
    publicNetworkAccess: 'Enabled'
  }
}

resource workerPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, workerPrincipalId, roleIds.acrPull)
  scope: registry
  properties: {
    principalId: workerPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.acrPull)
  }
}

output name string = registry.name
output loginServer string = registry.properties.loginServer
