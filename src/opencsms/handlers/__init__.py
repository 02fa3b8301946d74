"""OCPP action handlers, one package per version, one module per feature profile or block."""
