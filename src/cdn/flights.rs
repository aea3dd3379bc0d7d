//! Single flight: one lock per key, so concurrent first requests for the same missing
//! variant make it once while the others wait for it. Locks live only while someone holds
//! or waits on them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

/// Entries past which dead ones are swept out.
const SWEEP_AT: usize = 1024;

#[derive(Debug, Default)]
pub struct Flights {
    locks: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

impl Flights {
    /// The lock for `key`, shared with everyone who asks for the same key meanwhile.
    pub fn lock_for(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .locks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(lock) = locks.get(key).and_then(Weak::upgrade) {
            return lock;
        }
        if locks.len() >= SWEEP_AT {
            locks.retain(|_, lock| lock.strong_count() > 0);
        }
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        locks.insert(key.to_owned(), Arc::downgrade(&lock));
        lock
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_key_same_lock_until_released() {
        let flights = Flights::default();
        let a = flights.lock_for("k");
        let b = flights.lock_for("k");
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &flights.lock_for("other")));
        let weak = Arc::downgrade(&a);
        drop((a, b));
        assert!(
            weak.upgrade().is_none(),
            "nobody keeps a lock alive but its users"
        );
    }
}
