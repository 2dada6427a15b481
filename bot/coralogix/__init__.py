"""Everything that talks to Coralogix's IncidentsService; generated protobuf code stops here."""
