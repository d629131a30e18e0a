/*
 * catalog_data.c - the 26 built-in connection types, as constant tables.
 *
 * One block per type, in alphabetical order of display name.  A type lists
 * its auth schemes (default first); each scheme lists the fields only it
 * has; the type's `common` array holds the fields every scheme has (the URL
 * and the data fields the key table marks `*`).  Variants name the creation
 * options of the reference text (Docker Hub, ACR with a service principal,
 * a Kubernetes service account, ...): each picks a scheme and presets some
 * of its fields.
 *
 * Where the facts come from:
 *  - keys, their exact case, kind (auth/data/url) and secret flag:
 *    shared/data/endpoint-keys.tsv (tests/unit/test_reference.c checks
 *    every row against this file);
 *  - labels (the reference table's "Parameter" text, exactly), required or
 *    optional, creation options: shared/reference/service-connections.md
 *    (checked by the same test);
 *  - everything the data leaves open (Jira's scheme, labels of Azure
 *    Resource Manager, which has no table, mappings of parameters with no
 *    key) is a choice recorded in docs/catalog.md.
 *
 * Conventions: `required` is 1 only when the value must always be given
 * (fields with a default are not marked required: the default fills them);
 * `required_when` is "key=value" naming an enum field of the same scheme or
 * the common set, and placed before the field it governs (defaults are
 * applied in field order, so the condition sees its default).  For a
 * kubeconfig field, validator_arg names the field holding the context the
 * kubeconfig must contain.  A data field can be secret (SSH PrivateKey): the
 * secret flag, not the kind, decides masking and encryption.
 */
#include <stddef.h>

#include "svcconn/catalog.h"
#include "catalog/catalog_int.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Values shared by several tables. */
#define AZURE_ENVIRONMENTS \
	"AzureCloud|AzureChinaCloud|AzureUSGovernment|AzureGermanCloud|" \
	"AzureStack"

/* ---- fields several types share ----------------------------------------- */

/* "Username" / "Password", both required (the reference's Basic option). */
static const svc_field f_basic[] = {
	{ .key = "username", .kind = SVC_FIELD_AUTH, .label = "Username",
	  .required = 1, .help = "user name for the service" },
	{ .key = "password", .kind = SVC_FIELD_AUTH, .label = "Password",
	  .required = 1, .secret = 1,
	  .help = "password (or a token used as one) for the user name" },
};

/* A personal access token under the auth key "apitoken". */
static const svc_field f_pat[] = {
	{ .key = "apitoken", .kind = SVC_FIELD_AUTH,
	  .label = "Personal Access Token", .required = 1, .secret = 1,
	  .help = "personal access token for the service" },
};

/* ---- Azure Classic (azure) ---------------------------------------------- */

static const svc_field azure_up[] = {
	{ .key = "username", .kind = SVC_FIELD_AUTH, .label = "Username",
	  .required = 1,
	  .help = "work or school account (not a Microsoft account)" },
	{ .key = "password", .kind = SVC_FIELD_AUTH, .label = "Password",
	  .required = 1, .secret = 1, .help = "password of that account" },
};

static const svc_field azure_cert[] = {
	{ .key = "certificate", .kind = SVC_FIELD_AUTH,
	  .label = "Management Certificate", .required = 1, .secret = 1,
	  .validator = SVC_VALID_BASE64,
	  .help = "base64 management certificate (publish settings)" },
};

static const svc_field azure_common[] = {
	{ .key = "environment", .kind = SVC_FIELD_DATA, .label = "Environment",
	  .default_value = "AzureCloud", .validator = SVC_VALID_ENUM,
	  .validator_arg = AZURE_ENVIRONMENTS,
	  .help = "Azure cloud the subscription lives in" },
	{ .key = "subscriptionId", .kind = SVC_FIELD_DATA,
	  .label = "Subscription ID", .required = 1,
	  .validator = SVC_VALID_GUID, .help = "subscription GUID" },
	{ .key = "subscriptionName", .kind = SVC_FIELD_DATA,
	  .label = "Subscription Name", .required = 1,
	  .help = "display name of the subscription" },
	{ .key = "url", .kind = SVC_FIELD_URL,
	  .label = "Service Management URL",
	  .default_value = "https://management.core.windows.net/",
	  .validator = SVC_VALID_URL,
	  .help = "classic Service Management endpoint" },
};

static const svc_scheme azure_schemes[] = {
	{ .id = "UsernamePassword", .label = "Credentials",
	  .fields = azure_up, .nfields = NELEM(azure_up) },
	{ .id = "Certificate", .label = "Certificate based",
	  .fields = azure_cert, .nfields = NELEM(azure_cert) },
};

/* ---- Azure Repos/Team Foundation Server (externaltfs) ------------------- */

static const svc_field tfs_common[] = {
	{ .key = "url", .kind = SVC_FIELD_URL, .label = "Connection URL",
	  .required = 1, .validator = SVC_VALID_URL,
	  .help = "organization or project collection URL" },
};

static const svc_scheme tfs_schemes[] = {
	{ .id = "Token", .label = "Token Based",
	  .fields = f_pat, .nfields = NELEM(f_pat) },
	{ .id = "UsernamePassword", .label = "Basic",
	  .fields = f_basic, .nfields = NELEM(f_basic) },
};

/* ---- Azure Resource Manager (azurerm) ----------------------------------- */

static const svc_field arm_spn[] = {
	{ .key = "authenticationType", .kind = SVC_FIELD_AUTH,
	  .label = "Credential", .default_value = "spnKey",
	  .validator = SVC_VALID_ENUM, .validator_arg = "spnKey|spnCertificate",
	  .help = "spnKey (client secret) or spnCertificate (PEM)" },
	{ .key = "serviceprincipalid", .kind = SVC_FIELD_AUTH,
	  .label = "Service Principal Id", .required = 1,
	  .validator = SVC_VALID_GUID,
	  .help = "application (client) id of the service principal" },
	{ .key = "serviceprincipalkey", .kind = SVC_FIELD_AUTH,
	  .label = "Service principal key",
	  .required_when = "authenticationType=spnKey", .secret = 1,
	  .help = "client secret of the service principal" },
	{ .key = "servicePrincipalCertificate", .kind = SVC_FIELD_AUTH,
	  .label = "Certificate",
	  .required_when = "authenticationType=spnCertificate", .secret = 1,
	  .validator = SVC_VALID_PEM,
	  .help = "PEM certificate and private key of the service principal" },
	{ .key = "tenantid", .kind = SVC_FIELD_AUTH, .label = "Tenant ID",
	  .required = 1, .validator = SVC_VALID_GUID,
	  .help = "Microsoft Entra tenant (directory) id" },
	{ .key = "scope", .kind = SVC_FIELD_AUTH, .label = "Resource Group",
	  .help = "/subscriptions/S/resourceGroups/RG, to limit it" },
	{ .key = "creationMode", .kind = SVC_FIELD_DATA,
	  .label = "Creation mode", .default_value = "Manual",
	  .validator = SVC_VALID_ENUM, .validator_arg = "Automatic|Manual",
	  .help = "Manual: the principal was made outside svcconn" },
};

static const svc_field arm_wif[] = {
	{ .key = "serviceprincipalid", .kind = SVC_FIELD_AUTH,
	  .label = "Service Principal Id", .required = 1,
	  .validator = SVC_VALID_GUID,
	  .help = "application (client) id of the federated identity" },
	{ .key = "tenantid", .kind = SVC_FIELD_AUTH, .label = "Tenant ID",
	  .required = 1, .validator = SVC_VALID_GUID,
	  .help = "Microsoft Entra tenant (directory) id" },
	{ .key = "scope", .kind = SVC_FIELD_AUTH, .label = "Resource Group",
	  .help = "/subscriptions/S/resourceGroups/RG, to limit it" },
	{ .key = "workloadIdentityFederationIssuer", .kind = SVC_FIELD_AUTH,
	  .label = "Issuer", .validator = SVC_VALID_URL,
	  .help = "OIDC issuer the federated credential trusts" },
	{ .key = "workloadIdentityFederationSubject", .kind = SVC_FIELD_AUTH,
	  .label = "Subject identifier",
	  .help = "subject the federated credential trusts" },
	{ .key = "idToken", .kind = SVC_FIELD_AUTH, .label = "ID token",
	  .secret = 1, .help = "OIDC token, supplied at run time only" },
	{ .key = "creationMode", .kind = SVC_FIELD_DATA,
	  .label = "Creation mode", .default_value = "Manual",
	  .validator = SVC_VALID_ENUM, .validator_arg = "Automatic|Manual",
	  .help = "Manual: the identity was made outside svcconn" },
};

static const svc_field arm_msi[] = {
	{ .key = "tenantid", .kind = SVC_FIELD_AUTH, .label = "Tenant ID",
	  .required = 1, .validator = SVC_VALID_GUID,
	  .help = "Microsoft Entra tenant (directory) id" },
};

static const svc_field arm_publish[] = {
	{ .key = "publishProfile", .kind = SVC_FIELD_AUTH,
	  .label = "Publish profile", .required = 1, .secret = 1,
	  .validator = SVC_VALID_LENGTH, .validator_arg = "1..1048576",
	  .help = "App Service publish profile (XML)" },
	{ .key = "tenantid", .kind = SVC_FIELD_AUTH, .label = "Tenant ID",
	  .validator = SVC_VALID_GUID,
	  .help = "Microsoft Entra tenant (directory) id" },
	{ .key = "resourceId", .kind = SVC_FIELD_DATA, .label = "Resource ID",
	  .required = 1,
	  .help = "ARM id of the web app the profile belongs to" },
};

static const svc_field arm_common[] = {
	{ .key = "apitoken", .kind = SVC_FIELD_AUTH, .label = "Access token",
	  .secret = 1, .help = "pre-issued ARM access token (rarely used)" },
	{ .key = "environment", .kind = SVC_FIELD_DATA, .label = "Environment",
	  .default_value = "AzureCloud", .validator = SVC_VALID_ENUM,
	  .validator_arg = AZURE_ENVIRONMENTS, .help = "Azure cloud" },
	{ .key = "scopeLevel", .kind = SVC_FIELD_DATA, .label = "Scope Level",
	  .default_value = "Subscription", .validator = SVC_VALID_ENUM,
	  .validator_arg = "Subscription|ManagementGroup",
	  .help = "Subscription (also for a resource group), ManagementGroup" },
	{ .key = "subscriptionId", .kind = SVC_FIELD_DATA,
	  .label = "Subscription Id",
	  .required_when = "scopeLevel=Subscription",
	  .validator = SVC_VALID_GUID, .help = "subscription GUID" },
	{ .key = "subscriptionName", .kind = SVC_FIELD_DATA,
	  .label = "Subscription Name",
	  .required_when = "scopeLevel=Subscription",
	  .help = "display name of the subscription" },
	{ .key = "managementGroupId", .kind = SVC_FIELD_DATA,
	  .label = "Management Group Id",
	  .required_when = "scopeLevel=ManagementGroup",
	  .help = "management group id" },
	{ .key = "managementGroupName", .kind = SVC_FIELD_DATA,
	  .label = "Management Group Name",
	  .required_when = "scopeLevel=ManagementGroup",
	  .help = "management group display name" },
	{ .key = "environmentAuthorityUrl", .kind = SVC_FIELD_DATA,
	  .label = "Environment authority URL", .validator = SVC_VALID_URL,
	  .help = "Entra authority of the environment (ADAL)" },
	{ .key = "activeDirectoryAuthority", .kind = SVC_FIELD_DATA,
	  .label = "Active Directory authority", .validator = SVC_VALID_URL,
	  .help = "Entra authority of the environment (MSAL)" },
	{ .key = "activeDirectoryServiceEndpointResourceId",
	  .kind = SVC_FIELD_DATA,
	  .label = "Active Directory service endpoint resource ID",
	  .validator = SVC_VALID_URL,
	  .help = "token audience of the service management API" },
	{ .key = "graphUrl", .kind = SVC_FIELD_DATA, .label = "Graph URL",
	  .validator = SVC_VALID_URL, .help = "Azure AD Graph endpoint" },
	{ .key = "microsoftGraphUrl", .kind = SVC_FIELD_DATA,
	  .label = "Microsoft Graph URL", .validator = SVC_VALID_URL,
	  .help = "Microsoft Graph endpoint" },
	{ .key = "galleryUrl", .kind = SVC_FIELD_DATA, .label = "Gallery URL",
	  .validator = SVC_VALID_URL, .help = "template gallery endpoint" },
	{ .key = "AzureKeyVaultDnsSuffix", .kind = SVC_FIELD_DATA,
	  .label = "Key Vault DNS suffix", .validator = SVC_VALID_NAME,
	  .help = "DNS suffix of Key Vault in the environment" },
	{ .key = "AzureKeyVaultServiceEndpointResourceId",
	  .kind = SVC_FIELD_DATA,
	  .label = "Key Vault service endpoint resource ID",
	  .validator = SVC_VALID_URL, .help = "token audience of Key Vault" },
	{ .key = "sqlDatabaseDnsSuffix", .kind = SVC_FIELD_DATA,
	  .label = "SQL Database DNS suffix", .validator = SVC_VALID_NAME,
	  .help = "DNS suffix of Azure SQL in the environment" },
	{ .key = "armManagementPortalUrl", .kind = SVC_FIELD_DATA,
	  .label = "Management portal URL", .validator = SVC_VALID_URL,
	  .help = "Azure portal of the environment" },
	{ .key = "msiclientId", .kind = SVC_FIELD_DATA,
	  .label = "Managed identity client ID", .validator = SVC_VALID_GUID,
	  .help = "client id of a user-assigned managed identity" },
	{ .key = "EnableAdfsAuthentication", .kind = SVC_FIELD_DATA,
	  .label = "Enable ADFS authentication", .validator = SVC_VALID_BOOL,
	  .help = "true for an ADFS-backed Azure Stack" },
	{ .key = "spnObjectId", .kind = SVC_FIELD_DATA,
	  .label = "Service principal object ID", .validator = SVC_VALID_GUID,
	  .help = "object id of the service principal" },
	{ .key = "url", .kind = SVC_FIELD_URL, .label = "Environment URL",
	  .default_value = "https://management.azure.com/",
	  .validator = SVC_VALID_URL,
	  .help = "Resource Manager endpoint of the environment" },
};

static const svc_scheme arm_schemes[] = {
	{ .id = "ServicePrincipal", .label = "Service principal (manual)",
	  .fields = arm_spn, .nfields = NELEM(arm_spn) },
	{ .id = "WorkloadIdentityFederation",
	  .label = "Workload identity federation (manual)",
	  .fields = arm_wif, .nfields = NELEM(arm_wif) },
	{ .id = "ManagedServiceIdentity", .label = "Managed identity",
	  .fields = arm_msi, .nfields = NELEM(arm_msi) },
	{ .id = "PublishProfile", .label = "Publish Profile",
	  .fields = arm_publish, .nfields = NELEM(arm_publish) },
};

static const svc_variant arm_variants[] = {
	{ .id = "spnKey", .label = "Service principal with a client secret",
	  .scheme = "ServicePrincipal",
	  .presets = "authenticationType=spnKey" },
	{ .id = "spnCertificate",
	  .label = "Service principal with a certificate",
	  .scheme = "ServicePrincipal",
	  .presets = "authenticationType=spnCertificate" },
};

/* ---- Azure Service Bus (AzureServiceBus) -------------------------------- */

static const svc_field sb_none[] = {
	{ .key = "serviceBusConnectionString", .kind = SVC_FIELD_AUTH,
	  .label = "Service Bus Connection string", .required = 1,
	  .secret = 1,
	  .help = "primary or secondary connection string of the queue" },
};

static const svc_field sb_common[] = {
	{ .key = "serviceBusQueueName", .kind = SVC_FIELD_DATA,
	  .label = "Service Bus Queue Name", .required = 1,
	  .help = "name of an existing queue" },
	{ .key = "signPayload", .kind = SVC_FIELD_DATA, .label = "Sign payload",
	  .default_value = "false", .validator = SVC_VALID_BOOL,
	  .help = "sign the message payload" },
	{ .key = "url", .kind = SVC_FIELD_URL, .label = "Management URL",
	  .default_value = "https://management.core.windows.net/",
	  .validator = SVC_VALID_URL, .help = "fixed placeholder, unused" },
};

static const svc_scheme sb_schemes[] = {
	{ .id = "None", .label = "Connection string",
	  .fields = sb_none, .nfields = NELEM(sb_none) },
};

/* ---- Bitbucket Cloud (bitbucket) ---------------------------------------- */

static const svc_field bb_up[] = {
	{ .key = "username", .kind = SVC_FIELD_AUTH, .label = "Username",
	  .required = 1, .help = "Bitbucket user name" },
	{ .key = "password", .kind = SVC_FIELD_AUTH, .label = "Password",
	  .required = 1, .secret = 1, .help = "Bitbucket app password" },
};

static const svc_field bb_token[] = {
	{ .key = "email", .kind = SVC_FIELD_AUTH, .label = "Email",
	  .required = 1, .help = "Atlassian account e-mail" },
	{ .key = "apitoken", .kind = SVC_FIELD_AUTH, .label = "API token",
	  .required = 1, .secret = 1, .help = "Atlassian API token" },
};

static const svc_field bb_oauth[] = {
	{ .key = "AccessToken", .kind = SVC_FIELD_AUTH, .label = "Access token",
	  .required = 1, .secret = 1, .help = "OAuth access token" },
	{ .key = "ConfigurationId", .kind = SVC_FIELD_AUTH,
	  .label = "OAuth configuration", .required = 1,
	  .help = "id of the OAuth configuration that issued the token" },
};

static const svc_field bb_common[] = {
	{ .key = "url", .kind = SVC_FIELD_URL, .label = "Server URL",
	  .default_value = "https://api.bitbucket.org/",
	  .validator = SVC_VALID_URL, .help = "fixed Bitbucket API URL" },
};

static const svc_scheme bb_schemes[] = {
	{ .id = "UsernamePassword", .label = "Basic Authentication",
	  .fields = bb_up, .nfields = NELEM(bb_up) },
	{ .id = "Token", .label = "API token",
	  .fields = bb_token, .nfields = NELEM(bb_token) },
	{ .id = "OAuth", .label = "Grant authorization",
	  .fields = bb_oauth, .nfields = NELEM(bb_oauth) },
};

/* ---- Cargo (externalcargorepository) ------------------------------------ */

static const svc_field cargo_token[] = {
	{ .key = "apitoken", .kind = SVC_FIELD_AUTH, .label = "Token",
	  .required = 1, .secret = 1,
	  .help = "authorization value (a crates.io token)" },
};

static const svc_field cargo_common[] = {
	{ .key = "url", .kind = SVC_FIELD_URL, .label = "Repository URL",
	  .required = 1, .validator = SVC_VALID_URL,
	  .help = "registry index URL, as in .cargo/config.toml" },
};

static const svc_scheme cargo_schemes[] = {
	{ .id = "UsernamePassword",
	  .label = "Basic username/password (including Azure DevOps PATs)",
	  .fields = f_basic, .nfields = NELEM(f_basic) },
	{ .id = "Token",
	  .label = "Authorization value (including crates.io tokens)",
	  .fields = cargo_token, .nfields = NELEM(cargo_token) },
};

/* ---- Chef (Chef) -------------------------------------------------------- */

static const svc_field chef_up[] = {
	{ .key = "username", .kind = SVC_FIELD_AUTH,
	  .label = "Node Name (Username)", .required = 1,
	  .help = "Chef node (client) name" },
	{ .key = "password", .kind = SVC_FIELD_AUTH, .label = "Client Key",
	  .required = 1, .secret = 1, .validator = SVC_VALID_PEM,
	  .help = "PEM client key of the node" },
};

static const svc_field chef_common[] = {
	{ .key = "url", .kind = SVC_FIELD_URL, .label = "Server URL",
	  .required = 1, .validator = SVC_VALID_URL,
	  .help = "Chef server URL" },
};

static const svc_scheme chef_schemes[] = {
	{ .id = "UsernamePassword", .label = "Client key",
	  .fields = chef_up, .nfields = NELEM(chef_up) },
};

/* ---- Docker Host (dockerhost) ------------------------------------------- */

static const svc_field dh_cert[] = {
	{ .key = "cacert", .kind = SVC_FIELD_AUTH, .label = "CA certificate",
	  .required = 1, .validator = SVC_VALID_PEM,
	  .help = "PEM CA certificate the daemon's certificate chains to" },
	{ .key = "cert", .kind = SVC_FIELD_AUTH, .label = "Certificate",
	  .required = 1, .validator = SVC_VALID_PEM,
	  .help = "PEM client certificate" },
	{ .key = "key", .kind = SVC_FIELD_AUTH, .label = "Key",
	  .required = 1, .secret = 1, .validator = SVC_VALID_PEM,
	  .help = "PEM private key of the client certificate" },
};

static const svc_field dh_common[] = {
	{ .key = "url", .kind = SVC_FIELD_URL, .label = "Server URL",
	  .required = 1, .validator = SVC_VALID_TCP_URL,
	  .help = "tcp://host:port of the Docker daemon" },
};

static const svc_scheme dh_schemes[] = {
	{ .id = "Certificate", .label = "Certificate",
	  .fields = dh_cert, .nfields = NELEM(dh_cert) },
};

/* ---- Docker Registry (dockerregistry) ----------------------------------- */

static const svc_field dr_up[] = {
	{ .key = "registrytype", .kind = SVC_FIELD_DATA,
	  .label = "Registry type", .default_value = "DockerHub",
	  .validator = SVC_VALID_ENUM, .validator_arg = "DockerHub|Others",
	  .help = "DockerHub or Others" },
	{ .key = "registry", .kind = SVC_FIELD_AUTH, .label = "Docker Registry",
	  .required = 1, .validator = SVC_VALID_URL,
	  .help = "registry login URL, e.g. https://index.docker.io/v1/" },
	{ .key = "username", .kind = SVC_FIELD_AUTH, .label = "Docker ID",
	  .required = 1, .help = "registry user name" },
	{ .key = "password", .kind = SVC_FIELD_AUTH, .label = "Docker Password",
	  .required = 1, .secret = 1,
	  .help = "password or access token (Docker Hub needs a PAT)" },
	{ .key = "email", .kind = SVC_FIELD_AUTH, .label = "Email",
	  .help = "e-mail address of the account" },
	{ .key = "url", .kind = SVC_FIELD_AUTH, .label = "Login server URL",
	  .validator = SVC_VALID_URL,
	  .help = "login server some web-app tasks read; rarely set" },
};

/* The ACR fields shared by the service-principal and federated schemes. */
#define DR_ACR_FIELDS(idhelp) \
	{ .key = "registrytype", .kind = SVC_FIELD_DATA, \
	  .label = "Registry type", .default_value = "ACR", \
	  .validator = SVC_VALID_ENUM, .validator_arg = "ACR", \
	  .help = "ACR" }, \
	{ .key = "serviceprincipalid", .kind = SVC_FIELD_AUTH, \
	  .label = "Service principal client ID", .required = 1, \
	  .validator = SVC_VALID_GUID, .help = idhelp }, \
	{ .key = "tenantId", .kind = SVC_FIELD_AUTH, .label = "Tenant ID", \
	  .required = 1, .validator = SVC_VALID_GUID, \
	  .help = "Microsoft Entra tenant (directory) id" }, \
	{ .key = "loginServer", .kind = SVC_FIELD_AUTH, \
	  .label = "Azure Container Registry", .required = 1, \
	  .validator = SVC_VALID_NAME, \
	  .help = "login server of the registry: NAME.azurecr.io" }, \
	{ .key = "scope", .kind = SVC_FIELD_AUTH, .label = "Scope", \
	  .help = "ARM id of the registry the role is assigned on" }, \
	{ .key = "registryId", .kind = SVC_FIELD_DATA, \
	  .label = "Registry resource ID", \
	  .help = "ARM id of the registry" }, \
	{ .key = "subscriptionId", .kind = SVC_FIELD_DATA, \
	  .label = "Subscription", .required = 1, \
	  .validator = SVC_VALID_GUID, \
	  .help = "GUID of the subscription holding the registry" }, \
	{ .key = "subscriptionName", .kind = SVC_FIELD_DATA, \
	  .label = "Subscription name", \
	  .help = "display name of that subscription" }, \
	{ .key = "creationMode", .kind = SVC_FIELD_DATA, \
	  .label = "Creation mode", .default_value = "Manual", \
	  .validator = SVC_VALID_ENUM, .validator_arg = "Automatic|Manual", \
	  .help = "Manual: the identity was made outside svcconn" }, \
	{ .key = "appObjectId", .kind = SVC_FIELD_DATA, \
	  .label = "Application object ID", .validator = SVC_VALID_GUID, \
	  .help = "object id of the app registration" }, \
	{ .key = "spnObjectId", .kind = SVC_FIELD_DATA, \
	  .label = "Service principal object ID", \
	  .validator = SVC_VALID_GUID, \
	  .help = "object id of the service principal" }, \
	{ .key = "azureSpnPermissions", .kind = SVC_FIELD_DATA, \
	  .label = "Role assignments", \
	  .help = "role assignments made for the principal (JSON)" }, \
	{ .key = "azureSpnRoleAssignmentId", .kind = SVC_FIELD_DATA, \
	  .label = "Role assignment ID", \
	  .help = "id of the AcrPush/AcrPull role assignment" }

static const svc_field dr_spn[] = {
	{ .key = "authenticationType", .kind = SVC_FIELD_AUTH,
	  .label = "Credential", .default_value = "spnKey",
	  .validator = SVC_VALID_ENUM, .validator_arg = "spnKey",
	  .help = "spnKey: the principal signs in with a client secret" },
	{ .key = "serviceprincipalkey", .kind = SVC_FIELD_AUTH,
	  .label = "Service principal key", .required = 1, .secret = 1,
	  .help = "client secret of the service principal" },
	DR_ACR_FIELDS("client id of the service principal (docker user name)"),
};

static const svc_field dr_wif[] = {
	DR_ACR_FIELDS("client id of the federated identity"),
};

static const svc_field dr_msi[] = {
	{ .key = "registrytype", .kind = SVC_FIELD_DATA,
	  .label = "Registry type", .default_value = "ACR",
	  .validator = SVC_VALID_ENUM, .validator_arg = "ACR", .help = "ACR" },
	{ .key = "tenantId", .kind = SVC_FIELD_AUTH, .label = "Tenant ID",
	  .required = 1, .validator = SVC_VALID_GUID,
	  .help = "Microsoft Entra tenant (directory) id" },
	{ .key = "loginServer", .kind = SVC_FIELD_AUTH,
	  .label = "Azure container registry login server", .required = 1,
	  .validator = SVC_VALID_NAME,
	  .help = "login server of the registry: NAME.azurecr.io" },
	{ .key = "subscriptionId", .kind = SVC_FIELD_DATA,
	  .label = "Subscription ID", .required = 1,
	  .validator = SVC_VALID_GUID,
	  .help = "GUID of the subscription holding the registry" },
	{ .key = "subscriptionName", .kind = SVC_FIELD_DATA,
	  .label = "Subscription name", .required = 1,
	  .help = "display name of that subscription" },
};

static const svc_field dr_common[] = {
	{ .key = "url", .kind = SVC_FIELD_URL, .label = "Server URL",
	  .default_value = "https://hub.docker.com/",
	  .validator = SVC_VALID_URL,
	  .help = "placeholder (https://NAME.azurecr.io for ACR); the "
		  "registry field is the real address" },
};

static const svc_scheme dr_schemes[] = {
	{ .id = "UsernamePassword", .label = "Docker Hub or Others",
	  .fields = dr_up, .nfields = NELEM(dr_up) },
	{ .id = "ServicePrincipal", .label = "Service Principal",
	  .fields = dr_spn, .nfields = NELEM(dr_spn) },
	{ .id = "ManagedServiceIdentity", .label = "Managed Identity",
	  .fields = dr_msi, .nfields = NELEM(dr_msi) },
	{ .id = "WorkloadIdentityFederation",
	  .label = "Workload Identity federation",
	  .fields = dr_wif, .nfields = NELEM(dr_wif) },
};

static const svc_variant dr_variants[] = {
	{ .id = "DockerHub", .label = "Docker Hub",
	  .scheme = "UsernamePassword",
	  .presets = "registrytype=DockerHub;"
		     "registry=https://index.docker.io/v1/" },
	{ .id = "Others", .label = "Others", .scheme = "UsernamePassword",
	  .presets = "registrytype=Others" },
	{ .id = "ACR-ServicePrincipal",
	  .label = "Azure Container Registry with a service principal",
	  .scheme = "ServicePrincipal", .presets = "registrytype=ACR" },
	{ .id = "ACR-ManagedServiceIdentity",
	  .label = "Azure Container Registry with a managed identity",
	  .scheme = "ManagedServiceIdentity", .presets = "registrytype=ACR" },
	{ .id = "ACR-WorkloadIdentityFederation",
	  .label = "Azure Container Registry with workload identity federation",
	  .scheme = "WorkloadIdentityFederation",
	  .presets = "registrytype=ACR" },
};

/* ---- Generic (generic) -------------------------------------------------- */

static const svc_field gen_up[] = {
	{ .key = "username", .kind = SVC_FIELD_AUTH, .label = "Username",
	  .help = "user name for the service (optional)" },
	{ .key = "password", .kind = SVC_FIELD_AUTH,
	  .label = "Password/Token key", .secret = 1,
	  .help = "password or access token (optional)" },
};

static const svc_field gen_common[] = {
	{ .key = "url", .kind = SVC_FIELD_URL, .label = "Server URL",
	  .required = 1, .validator = SVC_VALID_URL,
	  .help = "URL of the service" },
};

static const svc_scheme gen_schemes[] = {
	{ .id = "UsernamePassword", .label = "Username and password",
	  .fields = gen_up, .nfields = NELEM(gen_up) },
};

/* ---- GitHub (github) ---------------------------------------------------- */

static const svc_field gh_token[] = {
	{ .key = "AccessToken", .kind = SVC_FIELD_AUTH, .label = "Token",
	  .required = 1, .secret = 1, .help = "GitHub personal access token" },
};

static const svc_field gh_oauth[] = {
	{ .key = "AccessToken", .kind = SVC_FIELD_AUTH, .label = "Access token",
	  .required = 1, .secret = 1, .help = "OAuth access token" },
	{ .key = "ConfigurationId", .kind = SVC_FIELD_AUTH,
	  .label = "Grant authorization", .required = 1,
	  .help = "id of the OAuth configuration that issued the token" },
};

static const svc_field gh_pat[] = {
	{ .key = "accessToken", .kind = SVC_FIELD_AUTH, .label = "Token",
	  .required = 1, .secret = 1,
	  .help = "GitHub personal access token (REST-created form)" },
};

static const svc_field gh_common[] = {
	{ .key = "url", .kind = SVC_FIELD_URL, .label = "Server URL",
	  .default_value = "https://github.com", .validator = SVC_VALID_URL,
	  .help = "fixed: https://github.com" },
};

static const svc_scheme gh_schemes[] = {
	{ .id = "Token", .label = "Personal access token",
	  .fields = gh_token, .nfields = NELEM(gh_token) },
	{ .id = "OAuth", .label = "Grant authorization",
	  .fields = gh_oauth, .nfields = NELEM(gh_oauth) },
	{ .id = "PersonalAccessToken",
	  .label = "Personal access token (REST form)",
	  .fields = gh_pat, .nfields = NELEM(gh_pat) },
	{ .id = "InstallationToken", .label = "GitHub App installation",
	  .fields = NULL, .nfields = 0 },
};

/* ---- GitHub Enterprise Server (githubenterprise) ------------------------ */

static const svc_field ghe_token[] = {
	{ .key = "apitoken", .kind = SVC_FIELD_AUTH, .label = "Token",
	  .required = 1, .secret = 1, .help = "personal access token" },
};

static const svc_field ghe_oauth2[] = {
	{ .key = "ConfigurationId", .kind = SVC_FIELD_AUTH,
	  .label = "OAuth configuration", .required = 1,
	  .help = "id of the OAuth configuration that issued the token" },
	{ .key = "AccessToken", .kind = SVC_FIELD_AUTH, .label = "Access token",
	  .required = 1, .secret = 1, .help = "OAuth access token" },
	{ .key = "oauthConfigurationUrl", .kind = SVC_FIELD_DATA,
	  .label = "GitHub Enterprise Server configuration URL",
	  .validator = SVC_VALID_URL,
	  .help = "server URL of the OAuth configuration (informational)" },
};

static const svc_field ghe_common[] = {
	{ .key = "acceptUntrustedCerts", .kind = SVC_FIELD_DATA,
	  .label = "Accept untrusted TLS/SSL certificates",
	  .default_value = "false", .validator = SVC_VALID_BOOL,
	  .help = "true to accept a self-signed server certificate" },
	{ .key = "url", .kind = SVC_FIELD_URL, .label = "Server URL",
	  .required = 1, .validator = SVC_VALID_URL,
	  .help = "URL of the GitHub Enterprise Server" },
};

static const svc_scheme ghe_schemes[] = {
	{ .id = "Token", .label = "Personal access token",
	  .fields = ghe_token, .nfields = NELEM(ghe_token) },
	{ .id = "UsernamePassword", .label = "Username and Password",
	  .fields = f_basic, .nfields = NELEM(f_basic) },
	{ .id = "OAuth2", .label = "OAuth2",
	  .fields = ghe_oauth2, .nfields = NELEM(ghe_oauth2) },
	{ .id = "InstallationToken", .label = "GitHub App installation",
	  .fields = NULL, .nfields = 0 },
};

/* ---- Incoming Webhook (incomingwebhook) --------------------------------- */

static const svc_field wh_none[] = {
	{ .key = "webhookname", .kind = SVC_FIELD_AUTH, .label = "WebHook Name",
	  .required = 1, .help = "name of the webhook" },
	{ .key = "secret", .kind = SVC_FIELD_AUTH, .label = "Secret",
	  .secret = 1, .help = "HMAC secret for the payload checksum" },
	{ .key = "header", .kind = SVC_FIELD_AUTH, .label = "HTTP Header",
	  .validator = SVC_VALID_REGEX,
	  .validator_arg = "[!#$%&'*+.^_`|~0-9A-Za-z-]+",
	  .help = "HTTP header that carries the checksum" },
};

static const svc_field wh_common[] = {
	{ .key = "url", .kind = SVC_FIELD_URL, .label = "Server URL",
	  .default_value = "https://dev.azure.com",
	  .validator = SVC_VALID_URL, .help = "fixed placeholder, unused" },
};

static const svc_scheme wh_schemes[] = {
	{ .id = "None", .label = "Webhook",
	  .fields = wh_none, .nfields = NELEM(wh_none) },
};

/* ---- Jenkins (Jenkins) -------------------------------------------------- */

static const svc_field jk_common[] = {
	{ .key = "acceptUntrustedCerts", .kind = SVC_FIELD_DATA,
	  .label = "Accept untrusted TLS/SSL certificates",
	  .default_value = "false", .validator = SVC_VALID_BOOL,
	  .help = "true to accept a self-signed server certificate" },
	{ .key = "url", .kind = SVC_FIELD_URL, .label = "Server URL",
	  .required = 1, .validator = SVC_VALID_URL,
	  .help = "URL of the Jenkins server" },
};

static const svc_scheme jk_schemes[] = {
	{ .id = "UsernamePassword", .label = "Username and password",
	  .fields = f_basic, .nfields = NELEM(f_basic) },
};

/* ---- Jira (jira) -------------------------------------------------------- */

static const svc_field jira_up[] = {
	{ .key = "username", .kind = SVC_FIELD_AUTH, .label = "Username",
	  .required = 1, .help = "Atlassian account e-mail or user name" },
	{ .key = "password", .kind = SVC_FIELD_AUTH, .label = "API token",
	  .required = 1, .secret = 1,
	  .help = "Jira API token (basic auth of the REST API)" },
};

static const svc_field jira_common[] = {
	{ .key = "url", .kind = SVC_FIELD_URL, .label = "Server URL",
	  .required = 1, .validator = SVC_VALID_URL,
	  .help = "URL of the Jira server" },
};

static const svc_scheme jira_schemes[] = {
	{ .id = "UsernamePassword", .label = "API token",
	  .fields = jira_up, .nfields = NELEM(jira_up) },
};

/* ---- Kubernetes (kubernetes) -------------------------------------------- */

static const svc_field k8s_kube[] = {
	{ .key = "authorizationType", .kind = SVC_FIELD_DATA,
	  .label = "Authentication method", .default_value = "Kubeconfig",
	  .validator = SVC_VALID_ENUM,
	  .validator_arg = "Kubeconfig|AzureSubscription",
	  .help = "Kubeconfig or AzureSubscription" },
	{ .key = "kubeconfig", .kind = SVC_FIELD_AUTH, .label = "Kubeconfig",
	  .required_when = "authorizationType=Kubeconfig", .secret = 1,
	  .validator = SVC_VALID_KUBECONFIG, .validator_arg = "clusterContext",
	  .help = "contents of the kubeconfig file" },
	{ .key = "clusterContext", .kind = SVC_FIELD_AUTH,
	  .label = "Cluster context",
	  .help = "context of the kubeconfig to use (default: current)" },
	{ .key = "azureEnvironment", .kind = SVC_FIELD_AUTH,
	  .label = "Azure environment", .validator = SVC_VALID_ENUM,
	  .validator_arg = AZURE_ENVIRONMENTS,
	  .help = "Azure cloud of the AKS cluster" },
	{ .key = "azureTenantId", .kind = SVC_FIELD_AUTH,
	  .label = "Azure tenant ID",
	  .required_when = "authorizationType=AzureSubscription",
	  .validator = SVC_VALID_GUID,
	  .help = "Microsoft Entra tenant of the subscription" },
	{ .key = "azureSubscriptionId", .kind = SVC_FIELD_DATA,
	  .label = "Azure subscription",
	  .required_when = "authorizationType=AzureSubscription",
	  .validator = SVC_VALID_GUID,
	  .help = "GUID of the subscription holding the cluster" },
	{ .key = "azureSubscriptionName", .kind = SVC_FIELD_DATA,
	  .label = "Azure subscription name",
	  .help = "display name of that subscription" },
	{ .key = "clusterId", .kind = SVC_FIELD_DATA, .label = "Cluster",
	  .help = "ARM id of the AKS cluster" },
	{ .key = "namespace", .kind = SVC_FIELD_DATA, .label = "Namespace",
	  .validator = SVC_VALID_REGEX,
	  .validator_arg = "[a-z0-9]([-a-z0-9]*[a-z0-9])?",
	  .help = "default namespace" },
	{ .key = "clusterAdmin", .kind = SVC_FIELD_DATA,
	  .label = "Use cluster admin credentials", .default_value = "false",
	  .validator = SVC_VALID_BOOL,
	  .help = "true to use the cluster's admin credentials" },
};

static const svc_field k8s_token[] = {
	{ .key = "authorizationType", .kind = SVC_FIELD_DATA,
	  .label = "Authentication method", .default_value = "ServiceAccount",
	  .validator = SVC_VALID_ENUM, .validator_arg = "ServiceAccount",
	  .help = "ServiceAccount" },
	{ .key = "apiToken", .kind = SVC_FIELD_AUTH, .label = "Secret",
	  .required = 1, .secret = 1, .validator = SVC_VALID_BASE64,
	  .help = "base64 token of the service account (its secret's "
		  "data.token)" },
	{ .key = "serviceAccountCertificate", .kind = SVC_FIELD_AUTH,
	  .label = "Service account certificate",
	  .validator = SVC_VALID_BASE64,
	  .help = "base64 cluster CA (the secret's data.ca.crt)" },
};

static const svc_field k8s_common[] = {
	{ .key = "acceptUntrustedCerts", .kind = SVC_FIELD_DATA,
	  .label = "Accept untrusted certificates", .default_value = "false",
	  .validator = SVC_VALID_BOOL,
	  .help = "true to accept a self-signed API server certificate" },
	{ .key = "url", .kind = SVC_FIELD_URL, .label = "Server URL",
	  .required_when = "authorizationType=ServiceAccount",
	  .validator = SVC_VALID_URL,
	  .help = "API server URL (ignored with a kubeconfig)" },
};

static const svc_scheme k8s_schemes[] = {
	{ .id = "Kubernetes", .label = "Kubeconfig or Azure subscription",
	  .fields = k8s_kube, .nfields = NELEM(k8s_kube) },
	{ .id = "Token", .label = "Service account",
	  .fields = k8s_token, .nfields = NELEM(k8s_token) },
};

static const svc_variant k8s_variants[] = {
	{ .id = "Kubeconfig", .label = "Kubeconfig", .scheme = "Kubernetes",
	  .presets = "authorizationType=Kubeconfig" },
	{ .id = "ServiceAccount", .label = "Service account",
	  .scheme = "Token", .presets = "authorizationType=ServiceAccount" },
	{ .id = "AzureSubscription", .label = "Azure subscription",
	  .scheme = "Kubernetes",
	  .presets = "authorizationType=AzureSubscription" },
};

/* ---- Maven (externalmavenrepository) ------------------------------------ */

static const svc_field mvn_key[] = {
	{ .key = "privateKey", .kind = SVC_FIELD_AUTH, .label = "Private key",
	  .required = 1, .secret = 1, .validator = SVC_VALID_PEM,
	  .help = "PEM private key for the repository" },
	{ .key = "passphrase", .kind = SVC_FIELD_AUTH, .label = "Passphrase",
	  .secret = 1, .help = "passphrase of the private key" },
};

static const svc_field mvn_common[] = {
	{ .key = "RepositoryId", .kind = SVC_FIELD_DATA, .label = "Registry ID",
	  .required = 1, .validator = SVC_VALID_NAME,
	  .help = "settings.xml server id the repository or mirror uses" },
	{ .key = "url", .kind = SVC_FIELD_URL, .label = "Registry URL",
	  .required = 1, .validator = SVC_VALID_URL,
	  .help = "URL of the Maven repository" },
};

static const svc_scheme mvn_schemes[] = {
	{ .id = "UsernamePassword", .label = "Username and Password",
	  .fields = f_basic, .nfields = NELEM(f_basic) },
	{ .id = "Token", .label = "Authentication Token",
	  .fields = f_pat, .nfields = NELEM(f_pat) },
	{ .id = "PrivateKey", .label = "Private key",
	  .fields = mvn_key, .nfields = NELEM(mvn_key) },
};

/* ---- npm (externalnpmregistry) ------------------------------------------ */

static const svc_field npm_common[] = {
	{ .key = "url", .kind = SVC_FIELD_URL, .label = "Registry URL",
	  .required = 1, .validator = SVC_VALID_URL,
	  .help = "URL of the npm registry" },
};

static const svc_scheme npm_schemes[] = {
	{ .id = "UsernamePassword", .label = "Username and Password",
	  .fields = f_basic, .nfields = NELEM(f_basic) },
	{ .id = "Token", .label = "Authentication Token",
	  .fields = f_pat, .nfields = NELEM(f_pat) },
};

/* ---- NuGet (externalnugetfeed) ------------------------------------------ */

static const svc_field nuget_key[] = {
	{ .key = "nugetkey", .kind = SVC_FIELD_AUTH, .label = "ApiKey",
	  .required = 1, .secret = 1, .help = "NuGet API key" },
};

static const svc_field nuget_common[] = {
	{ .key = "url", .kind = SVC_FIELD_URL, .label = "Feed URL",
	  .required = 1, .validator = SVC_VALID_URL,
	  .help = "URL of the NuGet feed" },
};

static const svc_scheme nuget_schemes[] = {
	{ .id = "None", .label = "ApiKey",
	  .fields = nuget_key, .nfields = NELEM(nuget_key) },
	{ .id = "Token", .label = "External Azure Pipelines",
	  .fields = f_pat, .nfields = NELEM(f_pat) },
	{ .id = "UsernamePassword", .label = "Basic authentication",
	  .fields = f_basic, .nfields = NELEM(f_basic) },
};

/* ---- Other Git (git) ---------------------------------------------------- */

static const svc_field git_up[] = {
	{ .key = "username", .kind = SVC_FIELD_AUTH, .label = "Username",
	  .help = "user name for the git server (optional)" },
	{ .key = "password", .kind = SVC_FIELD_AUTH, .label = "Password/Token",
	  .secret = 1, .help = "password or access token (optional)" },
};

static const svc_field git_common[] = {
	{ .key = "accessExternalGitServer", .kind = SVC_FIELD_DATA,
	  .label = "Attempt accessing this Git server from Azure Pipelines",
	  .default_value = "true", .validator = SVC_VALID_BOOL,
	  .help = "true to contact the server before queuing a run" },
	{ .key = "url", .kind = SVC_FIELD_URL, .label = "Git repository URL",
	  .required = 1, .validator = SVC_VALID_URL,
	  .help = "http(s) URL of the git repository" },
};

static const svc_scheme git_schemes[] = {
	{ .id = "UsernamePassword", .label = "Username and password",
	  .fields = git_up, .nfields = NELEM(git_up) },
};

/* ---- Python package download (externalPythonDownloadFeed) --------------- */

static const svc_field pydl_common[] = {
	{ .key = "url", .kind = SVC_FIELD_URL,
	  .label = "Python repository url for download", .required = 1,
	  .validator = SVC_VALID_URL, .help = "index URL of the feed" },
};

static const svc_scheme pydl_schemes[] = {
	{ .id = "UsernamePassword", .label = "Username and Password",
	  .fields = f_basic, .nfields = NELEM(f_basic) },
	{ .id = "Token", .label = "Authentication Token",
	  .fields = f_pat, .nfields = NELEM(f_pat) },
};

/* ---- Python package upload (externalPythonUploadFeed) ------------------- */

static const svc_field pyup_common[] = {
	{ .key = "endpointname", .kind = SVC_FIELD_DATA,
	  .label = "EndpointName",
	  .required = 1, .validator = SVC_VALID_NAME,
	  .help = ".pypirc repository name twine uploads to" },
	{ .key = "url", .kind = SVC_FIELD_URL,
	  .label = "Python repository url for upload", .required = 1,
	  .validator = SVC_VALID_URL, .help = "upload URL of the feed" },
};

static const svc_scheme pyup_schemes[] = {
	{ .id = "UsernamePassword", .label = "Username and Password",
	  .fields = f_basic, .nfields = NELEM(f_basic) },
	{ .id = "Token", .label = "Authentication Token",
	  .fields = f_pat, .nfields = NELEM(f_pat) },
};

/* ---- Service Fabric (servicefabric) ------------------------------------- */

/* How the cluster's server certificate is recognised (two schemes). */
#define SF_SERVER_CERT_FIELDS \
	{ .key = "certLookup", .kind = SVC_FIELD_AUTH, \
	  .label = "Server Certificate Lookup", \
	  .default_value = "Thumbprint", .validator = SVC_VALID_ENUM, \
	  .validator_arg = "Thumbprint|CommonName", \
	  .help = "Thumbprint or CommonName" }, \
	{ .key = "servercertthumbprint", .kind = SVC_FIELD_AUTH, \
	  .label = "Server Certificate Thumbprint(s)", \
	  .required_when = "certLookup=Thumbprint", \
	  .validator = SVC_VALID_THUMBPRINTS, \
	  .help = "comma-separated thumbprints of the cluster certificates" }, \
	{ .key = "servercertcommonname", .kind = SVC_FIELD_AUTH, \
	  .label = "Server Certificate Common Name(s)", \
	  .required_when = "certLookup=CommonName", \
	  .help = "comma-separated common names of the cluster certificates" }

static const svc_field sf_cert[] = {
	{ .key = "certificate", .kind = SVC_FIELD_AUTH,
	  .label = "Client Certificate", .required = 1, .secret = 1,
	  .validator = SVC_VALID_BASE64,
	  .help = "base64 of the client certificate (.pfx)" },
	{ .key = "certificatepassword", .kind = SVC_FIELD_AUTH,
	  .label = "Password", .secret = 1,
	  .help = "password of the .pfx (optional)" },
	SF_SERVER_CERT_FIELDS,
};

static const svc_field sf_up[] = {
	{ .key = "username", .kind = SVC_FIELD_AUTH, .label = "Username",
	  .required = 1, .help = "Microsoft Entra user name" },
	{ .key = "password", .kind = SVC_FIELD_AUTH, .label = "Password",
	  .required = 1, .secret = 1, .help = "password of that user" },
	SF_SERVER_CERT_FIELDS,
};

static const svc_field sf_none[] = {
	{ .key = "Unsecured", .kind = SVC_FIELD_AUTH, .label = "Unsecured",
	  .default_value = "false", .validator = SVC_VALID_BOOL,
	  .help = "true to skip Windows security" },
	{ .key = "ClusterSpn", .kind = SVC_FIELD_AUTH, .label = "Cluster SPN",
	  .help = "fully qualified SPN of the gMSA account" },
};

static const svc_field sf_common[] = {
	{ .key = "url", .kind = SVC_FIELD_URL, .label = "Cluster Endpoint",
	  .required = 1, .validator = SVC_VALID_TCP_URL,
	  .help = "client connection endpoint: tcp://HOST:19000" },
};

static const svc_scheme sf_schemes[] = {
	{ .id = "Certificate", .label = "Certificate based",
	  .fields = sf_cert, .nfields = NELEM(sf_cert) },
	{ .id = "UsernamePassword", .label = "Microsoft Entra credential",
	  .fields = sf_up, .nfields = NELEM(sf_up) },
	{ .id = "None", .label = "Windows security using gMSA",
	  .fields = sf_none, .nfields = NELEM(sf_none) },
};

static const svc_variant sf_variants[] = {
	{ .id = "CertificateBased", .label = "Certificate based",
	  .scheme = "Certificate", .presets = "certLookup=Thumbprint" },
	{ .id = "EntraCredential", .label = "Microsoft Entra credential",
	  .scheme = "UsernamePassword", .presets = "certLookup=Thumbprint" },
	{ .id = "gMSA", .label = "Windows security using gMSA",
	  .scheme = "None", .presets = "Unsecured=false" },
};

/* ---- SSH (ssh) ---------------------------------------------------------- */

static const svc_field ssh_up[] = {
	{ .key = "username", .kind = SVC_FIELD_AUTH, .label = "Username",
	  .required = 1, .help = "user name on the remote host" },
	{ .key = "password", .kind = SVC_FIELD_AUTH,
	  .label = "Password/Passphrase", .secret = 1,
	  .help = "password, or the passphrase of the private key" },
};

static const svc_field ssh_common[] = {
	{ .key = "Host", .kind = SVC_FIELD_DATA, .label = "Host name",
	  .required = 1, .validator = SVC_VALID_REGEX,
	  .validator_arg = "[A-Za-z0-9_.:][A-Za-z0-9_.:-]*",
	  .help = "host name or IP address (never starts with '-')" },
	{ .key = "Port", .kind = SVC_FIELD_DATA, .label = "Port number",
	  .default_value = "22", .validator = SVC_VALID_PORT,
	  .help = "SSH port" },
	{ .key = "PrivateKey", .kind = SVC_FIELD_DATA, .label = "Private Key",
	  .secret = 1, .validator = SVC_VALID_PEM,
	  .help = "private key file contents (a secret kept in data)" },
	{ .key = "hostKey", .kind = SVC_FIELD_DATA, .label = "Host key",
	  .validator = SVC_VALID_KNOWN_HOSTS,
	  .help = "host's public key (known_hosts line), pinned" },
	{ .key = "url", .kind = SVC_FIELD_URL, .label = "Server URL",
	  .help = "unused: tasks connect to Host and Port" },
};

static const svc_scheme ssh_schemes[] = {
	{ .id = "UsernamePassword", .label = "Password or private key",
	  .fields = ssh_up, .nfields = NELEM(ssh_up) },
};

/* ---- Subversion (subversion) -------------------------------------------- */

static const svc_field svn_up[] = {
	{ .key = "username", .kind = SVC_FIELD_AUTH, .label = "User name",
	  .required = 1, .help = "Subversion user name" },
	{ .key = "password", .kind = SVC_FIELD_AUTH, .label = "Password",
	  .required = 1, .secret = 1, .help = "password of that user" },
};

static const svc_field svn_common[] = {
	{ .key = "acceptUntrustedCerts", .kind = SVC_FIELD_DATA,
	  .label = "Accept untrusted TLS/SSL certificates",
	  .default_value = "false", .validator = SVC_VALID_BOOL,
	  .help = "true to accept a self-signed server certificate" },
	{ .key = "realmName", .kind = SVC_FIELD_DATA, .label = "Realm name",
	  .help = "realm the credentials belong to (for svn:externals)" },
	{ .key = "url", .kind = SVC_FIELD_URL,
	  .label = "Subversion repository URL", .required = 1,
	  .validator = SVC_VALID_URL,
	  .help = "http(s) URL of the repository" },
};

static const svc_scheme svn_schemes[] = {
	{ .id = "UsernamePassword", .label = "Username and password",
	  .fields = svn_up, .nfields = NELEM(svn_up) },
};

/* ---- Visual Studio App Center (vsmobilecenter) -------------------------- */

static const svc_field ac_token[] = {
	{ .key = "apitoken", .kind = SVC_FIELD_AUTH, .label = "API Token",
	  .required = 1, .secret = 1, .help = "App Center API token" },
};

static const svc_field ac_common[] = {
	{ .key = "url", .kind = SVC_FIELD_URL, .label = "Server URL",
	  .default_value = "https://api.appcenter.ms/v0.1",
	  .validator = SVC_VALID_URL, .help = "App Center API URL" },
};

static const svc_scheme ac_schemes[] = {
	{ .id = "Token", .label = "API token",
	  .fields = ac_token, .nfields = NELEM(ac_token) },
};

/* ---- the table ---------------------------------------------------------- */

#define SCHEMES(a) .schemes = (a), .nschemes = NELEM(a)
#define COMMON(a) .common = (a), .ncommon = NELEM(a)
#define VARIANTS(a) .variants = (a), .nvariants = NELEM(a)

const svc_type catalog_builtin_types[] = {
	{ .id = "azure", .name = "Azure Classic",
	  .description = "Connect to your Azure subscription via credentials "
			 "or certificate.",
	  COMMON(azure_common), SCHEMES(azure_schemes) },
	{ .id = "externaltfs", .name = "Azure Repos/Team Foundation Server",
	  .description = "Connect to Azure Repos in your DevOps organization "
			 "or collection.",
	  COMMON(tfs_common), SCHEMES(tfs_schemes), .git_capable = 1 },
	{ .id = "azurerm", .name = "Azure Resource Manager",
	  .description = "Connect to Azure resources.",
	  COMMON(arm_common), SCHEMES(arm_schemes), VARIANTS(arm_variants) },
	{ .id = "AzureServiceBus", .name = "Azure Service Bus",
	  .description = "Connect to an Azure Service Bus queue.",
	  COMMON(sb_common), SCHEMES(sb_schemes) },
	{ .id = "bitbucket", .name = "Bitbucket Cloud",
	  .description = "Connect to a Bitbucket Cloud repository.",
	  COMMON(bb_common), SCHEMES(bb_schemes), .git_capable = 1 },
	{ .id = "externalcargorepository", .name = "Cargo",
	  .description = "Connect to a Cargo package repository.",
	  COMMON(cargo_common), SCHEMES(cargo_schemes) },
	{ .id = "Chef", .name = "Chef",
	  .description = "Connect to a Chef repository.",
	  COMMON(chef_common), SCHEMES(chef_schemes) },
	{ .id = "dockerhost", .name = "Docker Host",
	  .description = "Connect to a Docker host.",
	  COMMON(dh_common), SCHEMES(dh_schemes) },
	{ .id = "dockerregistry", .name = "Docker Registry",
	  .description = "Connect to a Docker registry through a Docker Hub, "
			 "Azure Container Registry, or other sources.",
	  COMMON(dr_common), SCHEMES(dr_schemes), VARIANTS(dr_variants) },
	{ .id = "generic", .name = "Generic",
	  .description = "Connect to a generic server.",
	  COMMON(gen_common), SCHEMES(gen_schemes), .git_capable = 1 },
	{ .id = "github", .name = "GitHub",
	  .description = "Connect to a GitHub repository.",
	  COMMON(gh_common), SCHEMES(gh_schemes), .git_capable = 1 },
	{ .id = "githubenterprise", .name = "GitHub Enterprise Server",
	  .description = "Connect to a GitHub Enterprise repository.",
	  COMMON(ghe_common), SCHEMES(ghe_schemes), .git_capable = 1 },
	{ .id = "incomingwebhook", .name = "Incoming Webhook",
	  .description = "Connect to an incoming webhook.",
	  COMMON(wh_common), SCHEMES(wh_schemes) },
	{ .id = "Jenkins", .name = "Jenkins",
	  .description = "Connect to a Jenkins server.",
	  COMMON(jk_common), SCHEMES(jk_schemes) },
	{ .id = "jira", .name = "Jira",
	  .description = "Connect to a Jira server.",
	  COMMON(jira_common), SCHEMES(jira_schemes) },
	{ .id = "kubernetes", .name = "Kubernetes",
	  .description = "Connect to a Kubernetes cluster.",
	  COMMON(k8s_common), SCHEMES(k8s_schemes), VARIANTS(k8s_variants) },
	{ .id = "externalmavenrepository", .name = "Maven",
	  .description = "Connect to a Maven repository.",
	  COMMON(mvn_common), SCHEMES(mvn_schemes) },
	{ .id = "externalnpmregistry", .name = "npm",
	  .description = "Connect to an npm repository.",
	  COMMON(npm_common), SCHEMES(npm_schemes) },
	{ .id = "externalnugetfeed", .name = "NuGet",
	  .description = "Connect to a NuGet server.",
	  COMMON(nuget_common), SCHEMES(nuget_schemes) },
	{ .id = "git", .name = "Other Git",
	  .description = "Connect to a git repository.",
	  COMMON(git_common), SCHEMES(git_schemes), .git_capable = 1 },
	{ .id = "externalPythonDownloadFeed", .name = "Python package download",
	  .description = "Connect to a Python repository for download.",
	  COMMON(pydl_common), SCHEMES(pydl_schemes) },
	{ .id = "externalPythonUploadFeed", .name = "Python package upload",
	  .description = "Connect to a Python repository for upload.",
	  COMMON(pyup_common), SCHEMES(pyup_schemes) },
	{ .id = "servicefabric", .name = "Service Fabric",
	  .description = "Connect to an Azure Service Fabric cluster.",
	  COMMON(sf_common), SCHEMES(sf_schemes), VARIANTS(sf_variants) },
	{ .id = "ssh", .name = "SSH",
	  .description = "Connect to a host via SSH.",
	  COMMON(ssh_common), SCHEMES(ssh_schemes) },
	{ .id = "subversion", .name = "Subversion",
	  .description = "Connect to an Apache Subversion repository.",
	  COMMON(svn_common), SCHEMES(svn_schemes) },
	{ .id = "vsmobilecenter", .name = "Visual Studio App Center",
	  .description = "Connect to Visual Studio App Center server.",
	  COMMON(ac_common), SCHEMES(ac_schemes) },
};

const size_t catalog_builtin_count = NELEM(catalog_builtin_types);
