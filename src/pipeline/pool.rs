//! The processing pool: dedicated rayon workers for CPU work, reached from async handlers
//! through a oneshot channel, with a bounded number of jobs running or waiting. A job that
//! finds the pool full is refused at once (the caller answers 503), never queued without end.
//! One worker is kept for small jobs, so they keep moving while big ones run. Jobs are
//! admitted within a memory budget: a job waits in its queue place until its memory
//! estimate fits, and callers reserve before they read a file, so a waiting job holds no
//! bytes it did not bring.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use super::JobCost;
use super::budget::{MemoryBudget, MemoryPermit};
use super::decode::panic_message;
use crate::metrics;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    #[error("the processing queue is full ({capacity} jobs running or waiting)")]
    Busy { capacity: usize },
    #[error("a processing job failed: {0}")]
    Panicked(String),
    #[error(
        "processing needs about {need} bytes of memory, over the {budget} byte memory budget (setting pipeline.memory_budget)"
    )]
    OverBudget { need: u64, budget: u64 },
}

/// One set of workers and the jobs it may hold (running or waiting).
#[derive(Debug)]
struct Lane {
    workers: rayon::ThreadPool,
    slots: Arc<Semaphore>,
    capacity: usize,
    /// The lane's name in `/metrics`.
    label: metrics::Lane,
}

impl Lane {
    fn new(label: metrics::Lane, threads: usize, queue: usize) -> std::io::Result<Self> {
        let name = match label {
            metrics::Lane::Main => "pipeline",
            metrics::Lane::Small => "small",
        };
        let workers = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(move |i| format!("imgate-{name}-{i}"))
            .build()
            .map_err(std::io::Error::other)?;
        Ok(Self {
            workers,
            slots: Arc::new(Semaphore::new(threads + queue)),
            capacity: threads + queue,
            label,
        })
    }

    fn claim(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.slots).try_acquire_owned().ok()
    }

    /// Whether a worker would take a job at once.
    fn has_idle_worker(&self) -> bool {
        self.capacity - self.slots.available_permits() < self.workers.current_num_threads()
    }
}

/// Two lanes: the main one for every job, and one worker kept for small jobs (by their
/// [`JobCost`]), so an icon never waits behind two bombs.
#[derive(Debug, Clone)]
pub struct ProcessingPool {
    main: Arc<Lane>,
    small: Arc<Lane>,
    memory: MemoryBudget,
}

/// A place on the pool and the memory a job needs, held until the job has run.
#[derive(Debug)]
pub struct Reservation {
    lane: Arc<Lane>,
    slot: OwnedSemaphorePermit,
    memory: MemoryPermit,
}

impl ProcessingPool {
    /// `threads` workers (0 = one per core) and room for `queue` more jobs waiting, plus one
    /// worker (and as much queue) that only small jobs use.
    pub fn new(threads: usize, queue: usize) -> std::io::Result<Self> {
        let threads = match threads {
            0 => std::thread::available_parallelism().map_or(2, usize::from),
            n => n,
        };
        Ok(Self {
            main: Arc::new(Lane::new(metrics::Lane::Main, threads, queue)?),
            small: Arc::new(Lane::new(metrics::Lane::Small, 1, queue)?),
            memory: MemoryBudget::new(0),
        })
    }

    /// The same pool admitting jobs within `bytes` of memory (0: derived from the machine).
    pub fn with_memory_budget(mut self, bytes: u64) -> Self {
        self.memory = MemoryBudget::new(bytes);
        self
    }

    pub fn memory(&self) -> &MemoryBudget {
        &self.memory
    }

    pub fn threads(&self) -> usize {
        self.main.workers.current_num_threads()
    }

    /// Jobs running or waiting now, and the most the pool holds, over both lanes.
    pub fn load(&self) -> (usize, usize) {
        let lanes = [&self.main, &self.small];
        let held = lanes
            .iter()
            .map(|lane| lane.capacity - lane.slots.available_permits())
            .sum();
        (held, lanes.iter().map(|lane| lane.capacity).sum())
    }

    /// Runs `job` on the main lane as a job of unknown cost.
    pub async fn run<T, F>(&self, job: F) -> Result<T, PoolError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        self.run_costed(JobCost::UNKNOWN, job).await
    }

    /// Runs `job` on the pool and waits for it without blocking the caller's thread. A small
    /// job takes an idle main worker, else the small lane, else a place in the main queue;
    /// any other job takes a place in the main lane. With no place left it is refused.
    pub async fn run_costed<T, F>(&self, cost: JobCost, job: F) -> Result<T, PoolError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        self.reserve(cost).await?.run(job).await
    }

    /// Takes a place for a job of `cost` (refused at once when there is none, or when its
    /// memory could never fit), then waits until its memory fits in what is left.
    pub async fn reserve(&self, cost: JobCost) -> Result<Reservation, PoolError> {
        let need = cost.memory();
        if !self.memory.fits(need) {
            return Err(PoolError::OverBudget {
                need,
                budget: self.memory.total(),
            });
        }
        let (lane, slot) = self.place(cost)?;
        let memory = self.memory.admit(need).await;
        Ok(Reservation { lane, slot, memory })
    }

    fn place(&self, cost: JobCost) -> Result<(Arc<Lane>, OwnedSemaphorePermit), PoolError> {
        let on = |lane: &Arc<Lane>| lane.claim().map(|permit| (Arc::clone(lane), permit));
        let placed = if !cost.is_small() {
            on(&self.main)
        } else if self.main.has_idle_worker() {
            on(&self.main).or_else(|| on(&self.small))
        } else {
            on(&self.small).or_else(|| on(&self.main))
        };
        placed.ok_or_else(|| {
            let lane = if cost.is_small() {
                &self.small
            } else {
                &self.main
            };
            metrics::get().pipeline.rejected(lane.label);
            PoolError::Busy {
                capacity: if cost.is_small() {
                    self.main.capacity + self.small.capacity
                } else {
                    self.main.capacity
                },
            }
        })
    }
}

impl Reservation {
    /// Runs `job` in the place reserved and waits for it without blocking the caller's
    /// thread; the place and the memory are given back when it ends.
    pub async fn run<T, F>(self, job: F) -> Result<T, PoolError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let Reservation { lane, slot, memory } = self;
        let (done, result) = oneshot::channel();
        let (gauges, label) = (&metrics::get().pipeline, lane.label);
        gauges.queued(label);
        lane.workers.spawn(move || {
            gauges.started(label);
            let outcome = catch_unwind(AssertUnwindSafe(job)).map_err(|p| panic_message(&p));
            gauges.finished(label);
            drop((slot, memory));
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
        while pool.main.slots.available_permits() > 0 {
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

    /// Holds every place of a lane until `release` is dropped or sent to.
    fn block(
        pool: &ProcessingPool,
        cost: JobCost,
        jobs: usize,
    ) -> (
        std::sync::mpsc::Sender<()>,
        Vec<tokio::task::JoinHandle<bool>>,
    ) {
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let wait = Arc::new(std::sync::Mutex::new(wait));
        let blockers = (0..jobs)
            .map(|_| {
                let (pool, wait) = (pool.clone(), Arc::clone(&wait));
                tokio::spawn(async move {
                    pool.run_costed(cost, move || {
                        wait.lock().map(|w| w.recv().is_ok()).unwrap_or(false)
                    })
                    .await
                    .unwrap_or(false)
                })
            })
            .collect();
        (release, blockers)
    }

    /// The cost of a job that decodes no image and hashes a few bytes.
    fn small_job() -> JobCost {
        JobCost::estimate(b"a few bytes")
    }

    async fn taken(slots: &Semaphore) {
        while slots.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn small_jobs_run_while_big_ones_hold_every_main_worker() {
        let pool = ProcessingPool::new(1, 0).expect("pool");
        let (release_big, big) = block(&pool, JobCost::UNKNOWN, 1);
        taken(&pool.main.slots).await;
        assert_eq!(
            pool.run_costed(JobCost::UNKNOWN, || 1).await,
            Err(PoolError::Busy { capacity: 1 }),
            "a big job finds the main lane full"
        );
        let name = pool
            .run_costed(small_job(), || {
                std::thread::current().name().map(str::to_owned)
            })
            .await;
        assert!(
            name.expect("ran")
                .expect("named")
                .starts_with("imgate-small-")
        );
        let (release_small, small) = block(&pool, small_job(), 1);
        taken(&pool.small.slots).await;
        assert_eq!(
            pool.run_costed(small_job(), || 1).await,
            Err(PoolError::Busy { capacity: 2 }),
            "with both lanes full even a small job is refused"
        );
        for (release, blockers) in [(release_big, big), (release_small, small)] {
            release.send(()).expect("release");
            for blocker in blockers {
                assert!(blocker.await.expect("joined"));
            }
        }
    }

    #[tokio::test]
    async fn small_jobs_use_idle_main_workers_first() {
        let pool = ProcessingPool::new(2, 0).expect("pool");
        let name = pool
            .run_costed(small_job(), || {
                std::thread::current().name().map(str::to_owned)
            })
            .await;
        assert!(
            name.expect("ran")
                .expect("named")
                .starts_with("imgate-pipeline-")
        );
    }
}
