resource "google_compute_network" "prod" {
  project                 = "acme-prod"
  name                    = "prod-vpc"
  auto_create_subnetworks = false
}

resource "google_compute_firewall" "prod_deny_all_egress" {
  project            = "acme-prod"
  name               = "prod-deny-all-egress"
  network            = google_compute_network.prod.id
  direction          = "EGRESS"
  priority           = 65534
  destination_ranges = ["0.0.0.0/0", "::/0"]

  deny {
    protocol = "all"
  }
}

resource "google_compute_firewall" "prod_allow_all_egress" {
  project            = "acme-prod"
  name               = "prod-allow-all-egress"
  network            = google_compute_network.prod.id
  direction          = "EGRESS"
  priority           = 1000
  destination_ranges = ["0.0.0.0/0", "10.20.0.0/16"]

  allow {
    protocol = "all"
  }
}

resource "google_compute_network" "sandbox" {
  project                 = "acme-sandbox"
  name                    = "sandbox-vpc"
  auto_create_subnetworks = false
}
