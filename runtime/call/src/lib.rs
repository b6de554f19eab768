//! Call router, sans-IO verb executor, status callbacks and the internal event bus
