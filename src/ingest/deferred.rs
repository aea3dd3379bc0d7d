//! Stores that finish after their answer. A variant is sent as soon as it is made and
//! stored after: it is derived, so a crash in between loses nothing its original cannot
//! make again (the store's write intent, recorded first, lets the sweeper remove a file
//! left half-written). The stores run on the runtime the server was built on, not on an
//! HTTP worker's, so a worker that stops does not drop them; shutdown waits for them
//! within `server.shutdown_grace`.

use std::fmt::Display;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use prometheus_client::metrics::gauge::Gauge;
use tokio::runtime::Handle;
use tokio::sync::Notify;

#[derive(Debug, Clone)]
pub struct Deferred {
    inner: Arc<Inner>,
    runtime: Handle,
}

#[derive(Debug, Default)]
struct Inner {
    /// Tasks started and not finished here, which shutdown waits on.
    pending: AtomicUsize,
    /// The same, summed over the process's servers, for `/metrics`.
    gauge: Gauge,
    settled: Notify,
}

/// Counts a task as pending while it lives, even when it is dropped unfinished.
struct Pending(Arc<Inner>);

impl Drop for Pending {
    fn drop(&mut self) {
        self.0.gauge.dec();
        if self.0.pending.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.settled.notify_waiters();
        }
    }
}

impl Deferred {
    /// Runs its tasks on the runtime this is called on (it panics outside one), counting
    /// those pending in `gauge` too.
    pub fn on_current_runtime(gauge: Gauge) -> Self {
        Self {
            inner: Arc::new(Inner {
                gauge,
                ..Inner::default()
            }),
            runtime: Handle::current(),
        }
    }

    /// Runs `task` apart from the request that started it; a failure is logged as `what`.
    pub fn spawn<E: Display>(
        &self,
        what: &'static str,
        task: impl Future<Output = Result<(), E>> + Send + 'static,
    ) {
        self.inner.pending.fetch_add(1, Ordering::AcqRel);
        self.inner.gauge.inc();
        let pending = Pending(Arc::clone(&self.inner));
        self.runtime.spawn(async move {
            let _pending = pending;
            if let Err(error) = task.await {
                tracing::warn!(error = %error, "{what}");
            }
        });
    }

    /// Tasks started and not finished.
    pub fn pending(&self) -> usize {
        self.inner.pending.load(Ordering::Acquire)
    }

    /// Resolves once no task is pending.
    pub async fn settled(&self) {
        loop {
            let notified = self.inner.settled.notified();
            if self.pending() == 0 {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn settles_once_every_task_has_finished_or_failed() {
        let deferred = Deferred::on_current_runtime(Gauge::default());
        let (release, wait) = tokio::sync::oneshot::channel::<()>();
        deferred.spawn("held", async move {
            let _ = wait.await;
            Ok::<_, String>(())
        });
        deferred.spawn("fails", async { Err("no room".to_owned()) });
        tokio::task::yield_now().await;
        assert_eq!(deferred.pending(), 1, "the failed task is done");
        let settled = tokio::spawn({
            let deferred = deferred.clone();
            async move { deferred.settled().await }
        });
        tokio::task::yield_now().await;
        assert!(!settled.is_finished());
        release.send(()).expect("held task waits");
        settled.await.expect("settles");
        assert_eq!(deferred.pending(), 0);
    }
}
