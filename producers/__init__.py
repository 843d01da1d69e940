"""Department simulators: realistic, valid records published with the govx wire contract."""
