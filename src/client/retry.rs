//! Retries with exponential backoff and full jitter, for failures that may pass: network
//! errors, 429 and 5xx. A 4xx other than 429 is the client's fault and is never retried.

use std::future::Future;
use std::time::Duration;

use super::ClientError;

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts after the first.
    pub retries: u32,
    pub base: Duration,
    pub max: Duration,
}

impl RetryPolicy {
    pub fn new(retries: u32) -> Self {
        Self {
            retries,
            base: Duration::from_millis(300),
            max: Duration::from_secs(10),
        }
    }

    /// The wait before attempt `n` (1-based): a random time up to base * 2^(n-1), capped.
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

    /// Runs `attempt` until it succeeds, fails for good, or the retries are used up.
    pub async fn run<T, F, Fut>(&self, mut attempt: F) -> Result<T, ClientError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        let mut tries = 0;
        loop {
            match attempt().await {
                Err(error) if error.retryable && tries < self.retries => {
                    tries += 1;
                    tokio::time::sleep(self.delay(tries)).await;
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

    #[tokio::test]
    async fn retries_only_what_may_pass() {
        let policy = RetryPolicy {
            retries: 3,
            base: Duration::from_millis(1),
            max: Duration::from_millis(2),
        };
        let calls = AtomicU32::new(0);
        let outcome: Result<(), _> = policy
            .run(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(ClientError::retryable("503"))
            })
            .await;
        assert!(outcome.is_err());
        assert_eq!(
            calls.load(Ordering::SeqCst),
            4,
            "the first try and 3 retries"
        );
        calls.store(0, Ordering::SeqCst);
        let outcome: Result<(), _> = policy
            .run(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(ClientError::fatal("401"))
            })
            .await;
        assert!(outcome.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1, "a 4xx is not retried");
    }
}
