resource "google_storage_bucket" "public_assets" {
  project                     = "acme-prod"
  name                        = "acme-public-assets"
  location                    = "EUROPE-WEST1"
  uniform_bucket_level_access = true
}

resource "google_storage_bucket_iam_member" "public_assets_viewer" {
  bucket = google_storage_bucket.public_assets.name
  role   = "roles/storage.objectViewer"
  member = "allUsers"
}

resource "google_storage_bucket" "audit_logs" {
  project                     = "acme-prod"
  name                        = "acme-audit-logs"
  location                    = "EUROPE-WEST1"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
}
