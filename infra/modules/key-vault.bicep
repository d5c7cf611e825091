// Key Vault (RBAC authorisation) holding the secret that signs the webhooks; only the Function App's
// identity may read it, through a Key Vault reference in its app settings.

var roleIds = loadJsonContent('role-ids.json')

param name string
param location string
param tags object

@secure()
@description('The webhook signing secret to store.')
param webhookSigningSecret string

@description('Name of the secret in the vault.')
param webhookSecretName string

@description('Principal id of the Function App\'s identity, the only reader of the secret.')
param functionsPrincipalId string

@description('Object id of the person deploying: azd reads the secret back on later deployments so that it stays the same. Empty for none.')
param deployerPrincipalId string

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

resource webhookSecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: vault
  name: webhookSecretName
  properties: {
    value: webhookSigningSecret
    contentType: 'Standard Webhooks signing secret'
  }
}

resource functionsReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(webhookSecret.id, functionsPrincipalId, roleIds.keyVaultSecretsUser)
  scope: webhookSecret
  properties: {
    principalId: functionsPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.keyVaultSecretsUser)
  }
}

resource deployerReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(webhookSecret.id, deployerPrincipalId, roleIds.keyVaultSecretsUser)
  scope: webhookSecret
  properties: {
    principalId: deployerPrincipalId
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.keyVaultSecretsUser)
  }
}

output name string = vault.name
output webhookSecretUri string = webhookSecret.properties.secretUri
