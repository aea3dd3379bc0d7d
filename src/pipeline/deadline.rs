//! The per-job time budget (`pipeline.limits.max_job_time`): a deadline the pipeline checks
//! between its steps (stages, frames, fit iterations, variants), so a job that runs too long
//! is abandoned and its worker freed for the next.

use std::time::Instant;

use super::PipelineError;
use crate::clock::Duration;

#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    started: Instant,
    budget: Duration,
}

impl Deadline {
    /// A deadline `budget` from now.
    pub fn start(budget: Duration) -> Self {
        Self {
            started: Instant::now(),
            budget,
        }
    }

    /// Refuses the job once its time is up, naming the step it had reached.
    pub fn check(&self, step: &str) -> Result<(), PipelineError> {
        let elapsed = self.started.elapsed();
        if elapsed < self.budget.as_std() {
            return Ok(());
        }
        Err(PipelineError::TimedOut {
            what: format!("processing ran {:.1}s, up to {step}", elapsed.as_secs_f64()),
            limit: self.budget.to_string(),
            setting: "pipeline.limits.max_job_time",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exhausted_budget_names_the_limit_and_the_step() {
        assert!(
            Deadline::start(Duration::from_secs(60))
                .check("decoding")
                .is_ok()
        );
        let err = Deadline::start(Duration::from_secs(0))
            .check("encoding variant 64")
            .expect_err("no time at all");
        let msg = err.to_string();
        assert!(
            msg.starts_with("processing ran 0.0s, up to encoding variant 64"),
            "{msg}"
        );
        assert!(
            msg.ends_with("over the 0s job time limit (setting pipeline.limits.max_job_time)"),
            "{msg}"
        );
    }
}
