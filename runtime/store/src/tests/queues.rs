use switchyard_types::{AccountSid, QueueSid};

use super::store;
use crate::*;

fn queue(account: AccountSid, name: &str, max_size: u32) -> QueueRecord {
    QueueRecord {
        sid: QueueSid::random(),
        account_sid: account,
        friendly_name: name.into(),
        max_size,
        date_created: 1_700_000_000_000,
        date_updated: 1_700_000_000_000,
    }
}

#[test]
fn queues_are_saved_updated_deleted_and_survive_a_reopen() {
    let (dir, store) = store();
    let (a, b) = (AccountSid::random(), AccountSid::random());
    let support = queue(a, "support", 100);
    let sales = queue(a, "sales", 10);
    // Another account may use the same name.
    let other = queue(b, "support", 5);
    for q in [&support, &sales, &other] {
        store.write_queue(QueueWrite::Put(q.clone()));
    }
    let resized = QueueRecord {
        max_size: 20,
        date_updated: support.date_updated + 1000,
        ..support.clone()
    };
    store.write_queue(QueueWrite::Put(resized.clone()));
    store.write_queue(QueueWrite::Delete(sales.sid));
    store.flush();
    drop(store);

    let store = Store::open(dir.path()).unwrap();
    let mut all = store.all_queues().unwrap();
    all.sort_by_key(|q| q.max_size);
    assert_eq!(all, vec![other, resized]);
}
