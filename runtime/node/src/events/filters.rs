//! Tenant Wasm event filters, run on the subscriber's side before delivery.
//!
//! A filter passes, drops or replaces an event for the subscriptions that name it. One
//! that traps, loops past its CPU budget or overruns its deadline is skipped for that
//! event: the account gets a notification and the subscriber keeps receiving (the event
//! goes out as if the filter were not there). A filter that is not deployed (any more)
//! is treated the same way.

use std::sync::Arc;

use switchyard_events::{Draft, Event};
use switchyard_types::AccountSid;
use switchyard_wasm::{FilterContext, FilterDecision, FilterEvent};

use crate::shared::Shared;
use crate::wasm_glue::NotifyingLog;

/// Switchyard's notification code for a filter that failed on an event.
pub const FILTER_FAILED: u32 = 64003;

fn to_filter(e: &Event) -> FilterEvent {
    FilterEvent {
        id: e.id.to_string(),
        account_sid: e.account_sid.to_string(),
        call_sid: e.call_sid.map(|c| c.to_string()),
        event_type: e.event_type.clone(),
        timestamp_ms: e.timestamp_ms,
        data: e.data.clone(),
    }
}

/// The event a replacement describes: the filter may change the type, time and data;
/// the id, account and call stay the original's, so replay and ordering hold.
fn replaced(original: &Event, r: FilterEvent) -> Event {
    Event::new(
        original.id,
        Draft {
            account_sid: original.account_sid,
            root_sid: original.root_sid,
            call_sid: original.call_sid,
            event_type: r.event_type,
            timestamp_ms: r.timestamp_ms,
            data: r.data,
        },
    )
}

/// Run the subscriber's filters on `event`: the first that passes or replaces it
/// decides; when every one drops it, nothing is delivered.
pub async fn apply(
    shared: &Shared,
    account: AccountSid,
    filters: &[String],
    event: Arc<Event>,
) -> Option<Arc<Event>> {
    let input = to_filter(&event);
    for name in filters {
        let failure = match shared.wasm.filter(account, name) {
            None => format!(
                "event filter {name:?} is not deployed; event {} delivered unfiltered",
                event.id
            ),
            Some(filter) => {
                let ctx = FilterContext {
                    filter_name: name.clone(),
                    log: Arc::new(NotifyingLog {
                        store: shared.store.clone(),
                        account,
                    }),
                };
                match filter.filter(&input, ctx).await {
                    Ok(FilterDecision::Pass) => return Some(event),
                    Ok(FilterDecision::Replace(r)) => return Some(Arc::new(replaced(&event, r))),
                    Ok(FilterDecision::Drop) => continue,
                    Err(e) => format!("event filter {name:?} skipped for event {}: {e}", event.id),
                }
            }
        };
        shared.notify(
            account,
            event.call_sid,
            FILTER_FAILED,
            true,
            failure,
            Some(format!("app:{name}")),
        );
        return Some(event);
    }
    None
}
