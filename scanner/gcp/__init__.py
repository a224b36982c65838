"""GCP evaluation: resource names and hierarchy, roles, conditions, firewalls, the graph step."""
