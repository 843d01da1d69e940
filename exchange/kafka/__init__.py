"""The only package that talks to Kafka: clients, admin, feeds, provisioning and the local broker."""
