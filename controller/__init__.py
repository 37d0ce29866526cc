"""switchdesk controller: ESL core, call and agent state machines, routing."""
