data "azurerm_subscription" "prod" {}

# Platform lead: full control of the production subscription.
resource "azurerm_role_assignment" "alice_owner" {
  scope                = data.azurerm_subscription.prod.id
  role_definition_name = "Owner"
  principal_id         = "1a0c6b2e-3d4f-4a5b-8c9d-0e1f2a3b4c01"
}

resource "azurerm_role_assignment" "gina_reader" {
  scope                = data.azurerm_subscription.prod.id
  role_definition_name = "Reader"
  principal_id         = "1a0c6b2e-3d4f-4a5b-8c9d-0e1f2a3b4c08"
}

resource "azuread_application" "deploy" {
  display_name = "deploy-pipeline"
}

resource "azuread_application_password" "deploy" {
  application_id = azuread_application.deploy.id
  display_name   = "ci secret"
  end_date       = "2027-01-10T12:00:00Z"
}
