//! The memory budget: how much working memory jobs on the processing pool may hold at
//! once (decoded pixels and the files themselves). A job is admitted when its estimate
//! fits in what is left, and waits in the queue until it does; one that needs more than
//! the whole budget is refused. Counted in KiB.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::metrics;

/// The budget when the settings leave it to the machine: a quarter of the memory the
/// process may use, and never less than this.
const LEAST_AUTO: u64 = 256 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct MemoryBudget {
    total: u64,
    kib: Arc<Semaphore>,
}

/// Memory held by an admitted job, given back when it is dropped.
#[derive(Debug)]
pub struct MemoryPermit {
    kib: Option<OwnedSemaphorePermit>,
}

impl Drop for MemoryPermit {
    fn drop(&mut self) {
        if let Some(permit) = &self.kib {
            let bytes = permit.num_permits() as i64 * 1024;
            metrics::get().pipeline.decode_memory_changed(-bytes);
        }
    }
}

impl MemoryBudget {
    /// `bytes` of budget; 0 derives it from the machine ([`auto_budget`]).
    pub fn new(bytes: u64) -> Self {
        let total = if bytes == 0 { auto_budget() } else { bytes };
        let permits = usize::try_from(total / 1024)
            .unwrap_or(usize::MAX)
            .min(Semaphore::MAX_PERMITS);
        Self {
            total,
            kib: Arc::new(Semaphore::new(permits)),
        }
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    /// Bytes held by admitted jobs now.
    pub fn in_use(&self) -> u64 {
        let left = self.kib.available_permits() as u64 * 1024;
        self.total.saturating_sub(left)
    }

    /// Whether a job needing `bytes` could ever be admitted.
    pub fn fits(&self, bytes: u64) -> bool {
        bytes <= self.total
    }

    /// Waits until `bytes` fit in what is left, and holds them. Call [`fits`] first: a job
    /// larger than the whole budget would wait for ever.
    ///
    /// [`fits`]: MemoryBudget::fits
    pub async fn admit(&self, bytes: u64) -> MemoryPermit {
        let kib = u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX);
        if kib == 0 {
            return MemoryPermit { kib: None };
        }
        let permit = Arc::clone(&self.kib).acquire_many_owned(kib).await.ok();
        if permit.is_some() {
            metrics::get()
                .pipeline
                .decode_memory_changed(i64::from(kib) * 1024);
        }
        MemoryPermit { kib: permit }
    }
}

/// A quarter of the memory this process may use: its cgroup's limit where one is set,
/// else the machine's memory; at least 256 MiB.
pub fn auto_budget() -> u64 {
    let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()
        .and_then(|text| text.trim().parse::<u64>().ok());
    let machine = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib * 1024)
        });
    let memory = match (cgroup, machine) {
        (Some(limit), Some(total)) => limit.min(total),
        (limit, total) => limit.or(total).unwrap_or(4 << 30),
    };
    (memory / 4).max(LEAST_AUTO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_wait_until_they_fit() {
        let budget = MemoryBudget::new(10 * 1024);
        assert!(budget.fits(10 * 1024) && !budget.fits(10 * 1024 + 1));
        let first = budget.admit(6 * 1024).await;
        assert_eq!(budget.in_use(), 6 * 1024);
        let waiting = {
            let budget = budget.clone();
            tokio::spawn(async move { budget.admit(6 * 1024).await })
        };
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "6 KiB more do not fit beside 6 KiB");
        drop(first);
        let second = waiting.await.expect("admitted once the first left");
        assert_eq!(budget.in_use(), 6 * 1024);
        drop(second);
        assert_eq!(budget.in_use(), 0);
    }

    #[test]
    fn the_machine_sets_a_budget_of_at_least_256_mib() {
        assert!(auto_budget() >= LEAST_AUTO);
        assert_eq!(MemoryBudget::new(0).total(), auto_budget());
    }
}
