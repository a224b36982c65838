# Project administrators of acme-prod.
resource "google_project_iam_member" "alice_owner" {
  project = "acme-prod"
  role    = "roles/owner"
  member  = "user:alice@acme.example"
}

resource "google_project_iam_member" "carol_approvals" {
  project = "acme-prod"
  role    = "roles/accessapproval.configEditor"
  member  = "user:carol@acme.example"
}

resource "google_folder_iam_binding" "prod_editors" {
  folder  = "folders/771100"
  role    = "roles/editor"
  members = [
    "group:sre@acme.example",
  ]
}

resource "google_service_account" "deployer" {
  project    = "acme-prod"
  account_id = "deployer"
}

resource "google_project_iam_member" "deployer_owner" {
  project = "acme-prod"
  role    = "roles/owner"
  member  = "serviceAccount:deployer@acme-prod.iam.gserviceaccount.com"
}

resource "google_service_account_iam_member" "bob_impersonates_deployer" {
  service_account_id = google_service_account.deployer.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "user:bob@acme.example"
}

resource "google_service_account" "ci_deployer" {
  project    = "acme-prod"
  account_id = "ci-deployer"
}

resource "google_project_iam_member" "ci_editor" {
  project = "acme-prod"
  role    = "roles/editor"
  member  = "serviceAccount:ci-deployer@acme-prod.iam.gserviceaccount.com"
}

# Used by the nightly pipeline until workload identity federation is set up.
resource "google_service_account_key" "ci" {
  service_account_id = google_service_account.ci_deployer.name
}
