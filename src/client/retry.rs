//! Retries, for failures that may pass: network errors, 429 and 5xx. A 4xx other than 429
//! is the client's fault and is never retried. The wait is what the server asked for in
//! `Retry-After` (429 and 503), else exponential backoff with full jitter.

use std::future::Future;
use std::time::Duration;

use super::ClientError;

/// Longest wait taken from a server's `Retry-After`; a longer one is cut to this.
pub const MAX_SERVER_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts after the first.
    pub retries: u32,
    pub base: Duration,
    pub max: Duration,
}

/// One retry about to happen: what failed, how long the client waits, and which retry it is.
#[derive(Debug)]
pub struct Retrying<'a> {
    pub error: &'a ClientError,
    pub wait: Duration,
    /// 1-based.
    pub retry: u32,
    pub of: u32,
}

impl RetryPolicy {
    pub fn new(retries: u32) -> Self {
        Self {
            retries,
            base: Duration::from_millis(300),
            max: Duration::from_secs(10),
        }
    }

    /// The backoff before attempt `n` (1-based): a random time up to base * 2^(n-1), capped.
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1 << attempt.saturating_sub(1).min(16))
            .min(self.max);
        let mut random = [0u8; 8];
        crate::random::fill_random(&mut random);
        let fraction = u64::from_le_bytes(random) as f64 / u64::MAX as f64;
        ceiling.mul_f64(fraction.max(0.1))
    }

    /// The wait before retry `attempt` after `error`: the server's `Retry-After` when it
    /// sent one (at most [`MAX_SERVER_WAIT`]), else the backoff.
    pub fn wait(&self, error: &ClientError, attempt: u32) -> Duration {
        match error.retry_after {
            Some(asked) => asked.min(MAX_SERVER_WAIT),
            None => self.delay(attempt),
        }
    }

    /// Runs `attempt` until it succeeds, fails for good, or the retries are used up; tells
    /// `on_retry` before each wait.
    pub async fn run<T, F, Fut>(
        &self,
        mut attempt: F,
        mut on_retry: impl FnMut(&Retrying<'_>),
    ) -> Result<T, ClientError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        let mut tries = 0;
        loop {
            match attempt().await {
                Err(error) if error.retryable && tries < self.retries => {
                    tries += 1;
                    let wait = self.wait(&error, tries);
                    on_retry(&Retrying {
                        error: &error,
                        wait,
                        retry: tries,
                        of: self.retries,
                    });
                    tokio::time::sleep(wait).await;
                }
                outcome => return outcome,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn delays_grow_and_stay_capped() {
        let policy = RetryPolicy::new(5);
        for attempt in 1..=20 {
            let cap = policy
                .base
                .saturating_mul(1 << (attempt - 1).min(16))
                .min(policy.max);
            assert!(policy.delay(attempt) <= cap);
        }
    }

    #[test]
    fn the_servers_retry_after_is_the_wait() {
        let policy = RetryPolicy::new(3);
        let mut busy = ClientError::retryable("503");
        busy.retry_after = Some(Duration::from_secs(5));
        for attempt in 1..=3 {
            assert_eq!(policy.wait(&busy, attempt), Duration::from_secs(5));
        }
        busy.retry_after = Some(Duration::from_secs(3600));
        assert_eq!(policy.wait(&busy, 1), MAX_SERVER_WAIT);
        let down = ClientError::retryable("connection refused");
        assert!(policy.wait(&down, 1) <= policy.base);
    }

    #[tokio::test]
    async fn retries_only_what_may_pass() {
        let policy = RetryPolicy {
            retries: 3,
            base: Duration::from_millis(1),
            max: Duration::from_millis(2),
        };
        let calls = AtomicU32::new(0);
        let mut told = Vec::new();
        let outcome: Result<(), _> = policy
            .run(
                || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Err(ClientError::retryable("503"))
                },
                |retrying| told.push((retrying.retry, retrying.of)),
            )
            .await;
        assert!(outcome.is_err());
        assert_eq!(
            calls.load(Ordering::SeqCst),
            4,
            "the first try and 3 retries"
        );
        assert_eq!(told, [(1, 3), (2, 3), (3, 3)], "each retry is told");
        calls.store(0, Ordering::SeqCst);
        let outcome: Result<(), _> = policy
            .run(
                || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Err(ClientError::fatal("401"))
                },
                |_| {},
            )
            .await;
        assert!(outcome.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1, "a 4xx is not retried");
    }
}
