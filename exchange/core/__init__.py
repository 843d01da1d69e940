"""The pure core: identifiers, regions, the directory, sharing rules, masking, Avro layouts and the per-event decision.

No Kafka client, web framework, metrics client or socket is imported below this folder (docs/architecture.md).
"""
