"""govx: the government information-resource sharing exchange, simulated on Apache Kafka."""

__version__ = "0.1.0"
