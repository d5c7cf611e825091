// The Function App on a Flex Consumption plan (.NET isolated worker), with its own user-assigned identity.
// Every connection is identity-based; the webhook signing secret is a Key Vault reference read through the
// same identity. Callers sign in with Microsoft Entra ID when entraClientId is set. The app settings are exactly the keys that core's AppSettings.FunctionsAppKeys lists
// (FUNCTIONS_WORKER_RUNTIME comes from functionAppConfig.runtime: Flex Consumption refuses it as a setting).

param planName string
param appName string
param location string
param tags object

@description('Resource id of the Function App\'s user-assigned identity.')
param identityId string

@description('Client id of that identity.')
param identityClientId string

@description('Host storage account (AzureWebJobsStorage).')
param hostStorageName string

@description('URL of the blob container that holds the deployment package.')
param deploymentContainerUrl string

@description('The pipeline\'s storage account (EliteStorage).')
param dataStorageName string

@description('Application Insights component the app reports to.')
param applicationInsightsName string

@description('Key Vault URI of the webhook signing secret.')
param webhookSecretUri string

@description('Days result images are kept (the storage lifecycle rule deletes them then).')
param resultRetentionDays int

@description('Client id of the Entra app registration that signs callers in; empty: App Service Authentication stays off.')
param entraClientId string

@description('Accept function-key callers beside signed-in ones (they are the one default caller).')
param allowFunctionKeyCallers bool

var names = loadJsonContent('../core-names.json')

// A request without a signed-in principal is the default caller; with sign-in on and key callers refused, there is none (401).
var defaultCaller = empty(entraClientId) || allowFunctionKeyCallers ? 'function-key' : ''

@description('Most instances the app scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@description('Memory of one instance, in MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-11-01' = {
  name: appName
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      http20Enabled: true
      appSettings: [
        { name: 'AzureWebJobsStorage__accountName', value: hostStorageName }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
        { name: 'EliteStorage__accountName', value: dataStorageName }
        { name: 'EliteStorage__credential', value: 'managedidentity' }
        { name: 'EliteStorage__clientId', value: identityClientId }
        { name: 'Webhooks__SigningSecret', value: '@Microsoft.KeyVault(SecretUri=${webhookSecretUri})' }
        { name: 'Webhooks__AllowPrivateAddresses', value: 'false' }
        { name: 'Callers__DefaultCaller', value: defaultCaller }
        { name: 'Retention__ResultDays', value: string(resultRetentionDays) }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsights.properties.ConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'Authorization=AAD;ClientId=${identityClientId}' }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
    }
  }
}

// App Service Authentication: Microsoft Entra ID signs callers in, and the platform passes the principal's object id
// to the functions in X-MS-CLIENT-PRINCIPAL-ID (and strips that header from incoming requests). Anonymous requests
// still reach the functions when key callers are allowed: the function key then guards them.
resource authentication 'Microsoft.Web/sites/config@2024-11-01' = if (!empty(entraClientId)) {
  parent: app
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: !allowFunctionKeyCallers
      unauthenticatedClientAction: allowFunctionKeyCallers ? 'AllowAnonymous' : 'Return401'
      // A client reads the API's description before it signs in.
      excludedPaths: [names.openApiDocumentPath]
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: entraClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            'api://${entraClientId}'
          ]
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
  }
}

output name string = app.name
output defaultHostName string = app.properties.defaultHostName
