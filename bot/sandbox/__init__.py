"""Stand-ins that speak the real protocols over real sockets: Coralogix gRPC and the Slack Web API."""
