//! The processing pool: a dedicated rayon pool for CPU work, reached from async handlers
//! through a oneshot channel, with a bounded number of jobs running or waiting. A job that
//! finds the pool full is refused at once (the caller answers 503), never queued without end.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use tokio::sync::{Semaphore, oneshot};

use super::decode::panic_message;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    #[error("the processing queue is full ({capacity} jobs running or waiting)")]
    Busy { capacity: usize },
    #[error("a processing job failed: {0}")]
    Panicked(String),
}

#[derive(Debug, Clone)]
pub struct ProcessingPool {
    pool: Arc<rayon::ThreadPool>,
    slots: Arc<Semaphore>,
    capacity: usize,
}

impl ProcessingPool {
    /// `threads` workers (0 = one per core) and room for `queue` more jobs waiting.
    pub fn new(threads: usize, queue: usize) -> std::io::Result<Self> {
        let threads = match threads {
            0 => std::thread::available_parallelism().map_or(2, usize::from),
            n => n,
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("imgate-pipeline-{i}"))
            .build()
            .map_err(std::io::Error::other)?;
        let capacity = threads + queue;
        Ok(Self {
            pool: Arc::new(pool),
            slots: Arc::new(Semaphore::new(capacity)),
            capacity,
        })
    }

    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// Runs `job` on the pool and waits for it without blocking the caller's thread.
    pub async fn run<T, F>(&self, job: F) -> Result<T, PoolError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permit = Arc::clone(&self.slots)
            .try_acquire_owned()
            .map_err(|_| PoolError::Busy {
                capacity: self.capacity,
            })?;
        let (done, result) = oneshot::channel();
        self.pool.spawn(move || {
            let outcome = catch_unwind(AssertUnwindSafe(job)).map_err(|p| panic_message(&p));
            drop(permit);
            let _ = done.send(outcome);
        });
        match result.await {
            Ok(outcome) => outcome.map_err(PoolError::Panicked),
            Err(_) => Err(PoolError::Panicked("the worker went away".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_off_the_async_threads() {
        let pool = ProcessingPool::new(2, 0).expect("pool");
        let name = pool
            .run(|| std::thread::current().name().map(str::to_owned))
            .await;
        assert!(
            name.expect("ran")
                .expect("named")
                .starts_with("imgate-pipeline-")
        );
    }

    #[tokio::test]
    async fn a_full_pool_refuses_at_once() {
        let pool = ProcessingPool::new(1, 1).expect("pool");
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let wait = Arc::new(std::sync::Mutex::new(wait));
        let blockers: Vec<_> = (0..2)
            .map(|_| {
                let (pool, wait) = (pool.clone(), Arc::clone(&wait));
                tokio::spawn(async move {
                    pool.run(move || wait.lock().map(|w| w.recv().is_ok()).unwrap_or(false))
                        .await
                })
            })
            .collect();
        // Both slots are taken once both jobs hold a permit.
        while pool.slots.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(pool.run(|| 1).await, Err(PoolError::Busy { capacity: 2 }));
        for _ in 0..2 {
            release.send(()).expect("release");
        }
        for blocker in blockers {
            assert_eq!(blocker.await.expect("joined"), Ok(true));
        }
        assert_eq!(pool.run(|| 7).await, Ok(7));
    }

    #[tokio::test]
    async fn a_panicking_job_is_an_error_not_a_crash() {
        let pool = ProcessingPool::new(1, 0).expect("pool");
        let result: Result<(), _> = pool.run(|| panic!("codec blew up")).await;
        assert_eq!(result, Err(PoolError::Panicked("codec blew up".into())));
        assert_eq!(pool.run(|| 2).await, Ok(2));
    }
}
